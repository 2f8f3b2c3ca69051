#!/usr/bin/env python3
"""Realism check: does the mock's data look like what the real API answers?

Usage::

    python bench/realism.py [--corpus DIR] [--samples N] [--examples K]

Generates N values of every component schema and every success response of the spec built from the corpus
(the data `docmock serve` answers with), walks them, and flags each value a rule finds implausible. The rules
are written here, apart from the generator (nothing here imports its code, so a mistake there cannot vouch for
itself), from what the values mean:

- ``email``: an email property (`Email`, `EmailAddress`, the `Value` of an `Emails` element) is an address;
- ``phone``: a phone or fax number (also the `Value` of a `*Phones` or `Faxes` element) has digits only, with
  `+ ( ) - . x` and spaces between them;
- ``url``: a URL property starts with http:// or https://;
- ``salutation``: `Mrmrs` is Mr, Mrs, Ms, Miss, Dr or Mx;
- ``iso-code``: `TwoLetterISOCountry` is two capitals, `ThreeLetterISOCountry` and a currency code three;
- ``coordinate``: a latitude is within -90..90, a longitude -180..180;
- ``percent``: a `*Percent` is within 0..100;
- ``birth-date``: a `BirthDate` makes a person 16 to 100 years old on 2025-01-01;
- ``full-name``: beside `Firstname` and `Lastname`, `FullName` holds both;
- ``email-name``: beside `Firstname` and `Lastname`, an email address (or the `Emails`) holds one of them;
- ``date-order``: `Created`/`Registered` come no later than `Updated`/`Modified`/`LastStarted`/... of the
  same object;
- ``country``: a country's two- and three-letter codes start with the same letter.

Prints the flags by rule, with examples, and exits 1 when there is any. Importable: ``check_value(value) ->
list[Flag]`` and ``check_spec(spec, samples) -> Report``.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "superoffice"
AT = datetime(2025, 1, 1, tzinfo=timezone.utc)

_EMAIL = re.compile(r"[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?[0-9( ][0-9 ().x-]{5,}")
_SALUTATIONS = {"Mr", "Mrs", "Ms", "Miss", "Dr", "Mx"}
_EARLIER = ("created", "createddate", "registered", "registereddate")
_LATER = ("updated", "updateddate", "modified", "modifieddate", "lastmodified", "lastupdated", "laststarted",
          "lastcompleted", "lastchanged")


@dataclass(frozen=True)
class Flag:
    rule: str
    path: str
    value: Any


@dataclass
class Report:
    values: int = 0
    flags: list[Flag] = field(default_factory=list)

    def by_rule(self) -> Counter[str]:
        return Counter(f.rule for f in self.flags)


def _key(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
                   if c.isalnum())


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _scalar_flags(name: str, container: str, value: Any, path: str) -> Iterator[Flag]:
    key, owner = _key(name), _key(container)
    owner = owner[:-1] if owner.endswith("s") else owner  # an element of `Emails` is an email
    if isinstance(value, str):
        element = key == "value"
        if key in ("email", "emailaddress") or (element and owner.endswith("email")):
            if not _EMAIL.fullmatch(value):
                yield Flag("email", path, value)
        elif (key.endswith(("phone", "fax")) and not key.endswith("id")) or \
                (element and owner.endswith(("phone", "fax", "faxe"))):
            if not _PHONE.fullmatch(value) or sum(c.isdigit() for c in value) < 6:
                yield Flag("phone", path, value)
        elif key in ("url", "website", "homepage") or (element and owner.endswith("url")):
            if not value.startswith(("http://", "https://")):
                yield Flag("url", path, value)
        elif key == "mrmrs" and value not in _SALUTATIONS:
            yield Flag("salutation", path, value)
        elif key == "twoletterisocountry" and not re.fullmatch(r"[A-Z]{2}", value):
            yield Flag("iso-code", path, value)
        elif key in ("threeletterisocountry", "currencycode") and not re.fullmatch(r"[A-Z]{3}", value):
            yield Flag("iso-code", path, value)
        elif "birth" in key and (moment := _moment(value)) is not None:
            age = (AT - moment).days / 365.25
            if not 16 <= age <= 100:
                yield Flag("birth-date", path, value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if key.endswith("latitude") and not -90 <= value <= 90:
            yield Flag("coordinate", path, value)
        elif key.endswith("longitude") and not -180 <= value <= 180:
            yield Flag("coordinate", path, value)
        elif key.endswith("percent") and not 0 <= value <= 100:
            yield Flag("percent", path, value)


def _object_flags(obj: dict[str, Any], path: str) -> Iterator[Flag]:
    keys = {_key(k): k for k in obj if isinstance(k, str)}
    first, last = obj.get(keys.get("firstname", "")), obj.get(keys.get("lastname", ""))
    if isinstance(first, str) and isinstance(last, str) and first and last:
        full = obj.get(keys.get("fullname", ""))
        if isinstance(full, str) and (first not in full or last not in full):
            yield Flag("full-name", f"{path}.FullName", (first, last, full))
        addresses = [obj[keys[k]] for k in ("email", "emailaddress") if isinstance(obj.get(keys.get(k, "")), str)]
        emails = obj.get(keys.get("emails", ""))
        if isinstance(emails, list):
            addresses += [e.get("Value") for e in emails if isinstance(e, dict) and isinstance(e.get("Value"), str)]
        names = {n for n in (_plain(first), _plain(last)) if n}
        for address in addresses:
            if names and not any(n in address.lower() for n in names):
                yield Flag("email-name", f"{path}.email", (first, last, address))
    for a in _EARLIER:
        for b in _LATER:
            if a in keys and b in keys:
                ta, tb = _moment(obj[keys[a]]), _moment(obj[keys[b]])
                if ta is not None and tb is not None and tb < ta:
                    yield Flag("date-order", f"{path}.{keys[b]}", (obj[keys[a]], obj[keys[b]]))
    two, three = obj.get(keys.get("twoletterisocountry", "")), obj.get(keys.get("threeletterisocountry", ""))
    if isinstance(two, str) and isinstance(three, str) and two[:1] != three[:1]:
        yield Flag("country", path, (two, three))


def check_value(value: Any, path: str = "$", name: str = "", container: str = "") -> list[Flag]:
    """Every flag of `value` and what it holds; `name` is its property name, `container` the one it is in."""
    flags: list[Flag] = []
    stack = [(value, path, name, container)]
    while stack:
        node, where, key, owner = stack.pop()
        if isinstance(node, dict):
            flags.extend(_object_flags(node, where))
            for k, v in node.items():
                stack.append((v, f"{where}.{k}", str(k), key))
        elif isinstance(node, list):
            # The items of `Emails` are elements of an email collection: their owner is the array's name.
            stack.extend((v, f"{where}[{i}]", key, key) for i, v in enumerate(node))
        else:
            flags.extend(_scalar_flags(key, owner, node, where))
    return flags


def _targets(spec: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(label, name, schema): every component schema, and every success response's JSON schema."""
    for name, schema in (spec.get("components") or {}).get("schemas", {}).items():
        yield f"#/components/schemas/{name}", name, schema
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            for code, response in (op.get("responses") or {}).items() if isinstance(op, dict) else ():
                if code.startswith("2"):
                    media = (response.get("content") or {}).get("application/json")
                    if media and "schema" in media:
                        yield f"{method.upper()} {path} {code}", "", media["schema"]


def check_spec(spec: dict[str, Any], samples: int = 20, seed: int = 0) -> Report:
    from mockserver.fakedata import DataFactory

    factory = DataFactory(spec, seed)
    report = Report()
    for label, name, schema in _targets(spec):
        generate = factory.generator(schema, name)
        for n in range(samples):
            value = generate(random.Random(f"{label}|{n}"), 0)
            report.values += 1
            report.flags.extend(check_value(value, label, name))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--samples", type=int, default=20, help="values per schema (default 20)")
    parser.add_argument("--examples", type=int, default=3, help="flags shown per rule (default 3)")
    args = parser.parse_args(argv)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from generator import build_spec

    spec = build_spec([args.corpus]).spec
    report = check_spec(spec, args.samples)
    rules = report.by_rule()
    print(f"realism: {len(report.flags)} flag(s) in {report.values} generated values "
          f"({len(list(_targets(spec)))} schemas x {args.samples})")
    for rule, count in sorted(rules.items(), key=lambda kv: -kv[1]):
        print(f"  {rule}: {count}")
        for flag in [f for f in report.flags if f.rule == rule][:args.examples]:
            print(f"    {flag.path}: {flag.value!r}")
    return 1 if report.flags else 0


if __name__ == "__main__":
    sys.exit(main())

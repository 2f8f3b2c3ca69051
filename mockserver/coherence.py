"""Values that agree with each other within one generated object: a person's full name and email built from the
first and last names, dates in the order things happen, a country whose name and codes are one country, and
the `Value` of an element of `Emails` an email address.

Each object schema gets a *finisher* when compiled, from its property names and the name it appears under; the
generator runs it on every object of that shape right after drawing it (see `fakedata._build_object`). Shapes
no rule applies to get none and cost nothing.
"""
from __future__ import annotations

import functools
import random
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from .pools import Pools

Step = Callable[[dict[str, Any], random.Random], None]
Finisher = Callable[[Any, random.Random], Any]

# What happens first, and what can only come after it (normalised names: lower case, no `_` or `-`).
_EARLIER = ("created", "createddate", "registered", "registereddate", "creationdate", "firststarted", "started",
            "startdate", "starttime")
_LATER = ("updated", "updateddate", "modified", "modifieddate", "lastmodified", "lastupdated", "laststarted",
          "lastcompleted", "lastchanged", "completed", "completeddate", "enddate", "endtime", "finished",
          "closed", "closeddate")
_EMAIL_KEYS = ("email", "emailaddress", "mail")

# An element of a collection named for its kind (`Emails`, `OfficePhones`, `Urls`) holds that kind in `Value`.
_ELEMENT_KINDS = (("email", "email"), ("phone", "phone"), ("fax", "phone"), ("faxe", "phone"), ("url", "url"),
                  ("website", "url"))

# Enough countries to look varied; each row is one country: names, ISO 3166 codes, dialling and currency.
COUNTRIES: tuple[tuple[str, str, str, str, str], ...] = (
    ("Norway", "NO", "NOR", "+47", "NOK"), ("Sweden", "SE", "SWE", "+46", "SEK"),
    ("Denmark", "DK", "DNK", "+45", "DKK"), ("Finland", "FI", "FIN", "+358", "EUR"),
    ("Netherlands", "NL", "NLD", "+31", "EUR"), ("Germany", "DE", "DEU", "+49", "EUR"),
    ("United Kingdom", "GB", "GBR", "+44", "GBP"), ("United States", "US", "USA", "+1", "USD"),
    ("France", "FR", "FRA", "+33", "EUR"), ("Spain", "ES", "ESP", "+34", "EUR"),
    ("Italy", "IT", "ITA", "+39", "EUR"), ("Switzerland", "CH", "CHE", "+41", "CHF"),
    ("Poland", "PL", "POL", "+48", "PLN"), ("Canada", "CA", "CAN", "+1", "CAD"),
    ("Australia", "AU", "AUS", "+61", "AUD"), ("Japan", "JP", "JPN", "+81", "JPY"),
)


def normalise(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def element_kind(name: str) -> str | None:
    """`email` for an element of `Emails` (the generator names an array's items by the array, less its `s`)."""
    key = normalise(name)
    return next((kind for suffix, kind in _ELEMENT_KINDS if key.endswith(suffix)), None)


@functools.lru_cache(maxsize=4096)  # names come from pools of a few hundred: each is worked out once
def ascii_word(text: str) -> str:
    """`Zoë O'Neil` -> `zoeoneil`: what an email address can hold of a name."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def finisher(name: str, properties: Mapping[str, Any], pools: Pools,
             pick: Callable[[str], Callable[[random.Random], str]],
             resolve: Callable[[Any], Any]) -> Finisher | None:
    """The function that makes an object of these `properties` (found under `name`) agree with itself, or None.
    `pick(kind)` is the generator's pick of a value of a kind (`email`, `phone`); `resolve` follows a `$ref`."""
    resolved = {k: resolve(v) for k, v in properties.items() if isinstance(k, str)}
    # Only values no keyword constrains are rewritten: what the finisher writes must stay valid. Dates are
    # swapped with dates of the same format; everything else is written only where no format is asked for
    # (or the one the value is: an email address where `format: email`).
    free = {normalise(k): k for k, schema in resolved.items() if unconstrained_string(schema)}
    formats = {k: resolved[k].get("format") for k in free.values()}
    keys = {n: k for n, k in free.items() if formats[k] is None}
    element = {"email": ("email", "idn-email"), "url": ("uri", "url", "iri")}
    steps: list[Step] = []
    kind = element_kind(name)
    value_key = free.get("value")
    if kind is not None and value_key is not None and formats[value_key] in (None, *element.get(kind, ())):
        steps.append(_element_value(value_key, keys.get("strippedvalue"), kind, pick(kind)))
    if "firstname" in keys and "lastname" in keys:
        email_keys = tuple(free[n] for n in _EMAIL_KEYS if n in free and formats[free[n]] in (None, "email"))
        steps.append(_person_names(keys, email_keys, _emails_element(resolved, resolve), pools))
    pairs = tuple((free[a], free[b]) for a in _EARLIER if a in free for b in _LATER
                  if b in free and formats[free[a]] == formats[free[b]])
    if pairs:
        steps.append(_dates_in_order(pairs))
    if "twoletterisocountry" in keys or "threeletterisocountry" in keys:
        steps.append(_country(keys, normalise(name).endswith("country")))
    if not steps:
        return None

    def finish(obj: Any, r: random.Random) -> Any:
        if type(obj) is dict:
            for step in steps:
                step(obj, r)
        return obj
    return finish


_CONSTRAINING = ("enum", "const", "pattern", "minLength", "maxLength")


def unconstrained_string(schema: Any) -> bool:
    """A string schema no keyword narrows beyond its format (and `null`)."""
    if not isinstance(schema, Mapping) or any(k in schema for k in _CONSTRAINING):
        return False
    types = schema.get("type")
    return types == "string" or (isinstance(types, list) and "string" in types)


def _emails_element(resolved: Mapping[str, Any], resolve: Callable[[Any], Any]) -> tuple[str, str | None] | None:
    """(the `Emails` property, its elements' `StrippedValue` when that may be written too), when the elements'
    `Value` is a string nothing constrains; else None."""
    for key, schema in resolved.items():
        if normalise(key) != "emails":
            continue
        item = resolve(_property(schema, "items"))
        value, stripped_value = (resolve(_property(item, n)) for n in ("Value", "StrippedValue"))
        if unconstrained_string(value) and value.get("format") in (None, "email", "idn-email"):
            free_stripped = unconstrained_string(stripped_value) and stripped_value.get("format") is None
            return key, "StrippedValue" if free_stripped else None
    return None


def _property(schema: Any, name: str) -> Any:
    if not isinstance(schema, Mapping):
        return None
    if name == "items":
        return schema.get("items")
    properties = schema.get("properties")
    return properties.get(name) if isinstance(properties, Mapping) else None


def _element_value(value_key: str, stripped_key: str | None, kind: str,
                   pick: Callable[[random.Random], str]) -> Step:
    def step(obj: dict[str, Any], r: random.Random) -> None:
        if obj.get(value_key) is None:
            return
        value = obj[value_key] = pick(r)
        if stripped_key is not None and obj.get(stripped_key) is not None:
            obj[stripped_key] = stripped(value, kind)
    return step


def stripped(value: str, kind: str) -> str:
    """A phone number as digits (and its leading +), anything else in lower case: how SuperOffice searches."""
    if kind == "phone":
        return ("+" if value.startswith("+") else "") + "".join(c for c in value if c.isdigit())
    return value.lower()


def _person_names(keys: Mapping[str, str], email_keys: tuple[str, ...], emails: tuple[str, str | None] | None,
                  pools: Pools) -> Step:
    first_key, last_key = keys["firstname"], keys["lastname"]
    full_key = keys.get("fullname")
    emails_key, stripped_key = emails if emails is not None else (None, None)
    domains = pools.domains

    def address(local: str, current: Any, r: random.Random) -> str:
        domain = current.rsplit("@", 1)[1] if isinstance(current, str) and "@" in current else \
            domains[int(r.random() * len(domains))]
        return f"{local}@{domain}"

    def step(obj: dict[str, Any], r: random.Random) -> None:
        first, last = obj.get(first_key), obj.get(last_key)
        if not isinstance(first, str) or not isinstance(last, str):
            return
        if full_key is not None and obj.get(full_key) is not None:
            obj[full_key] = f"{first} {last}"
        local = ".".join(part for part in (ascii_word(first), ascii_word(last)) if part) or "contact"
        for key in email_keys:
            if obj.get(key) is not None:
                obj[key] = address(local, obj[key], r)
        emails = obj.get(emails_key) if emails_key is not None else None
        if isinstance(emails, list):
            # The elements may be values the generator shares between records: new ones, never changed ones.
            out = []
            for n, item in enumerate(emails):
                if isinstance(item, dict) and isinstance(item.get("Value"), str):
                    own = address(local, item["Value"], r)
                    if n:  # a second address of the same person: a second domain, or a number
                        own = own.replace("@", f"{n + 1}@", 1)
                    item = {**item, "Value": own}
                    if stripped_key is not None and item.get(stripped_key) is not None:
                        item[stripped_key] = own.lower()
                out.append(item)
            obj[emails_key] = out
    return step


def derived_names(properties: Mapping[str, Any], resolve: Callable[[Any], Any]) -> tuple[str, str, str] | None:
    """(first, last, full name) properties of a record whose full name may be derived: all three there, and the
    full name a string nothing constrains."""
    keys = {normalise(k): k for k in properties if isinstance(k, str)}
    names = tuple(keys.get(n) for n in ("firstname", "lastname", "fullname"))
    if None in names:
        return None
    full = resolve(properties[names[2]])
    return names if unconstrained_string(full) and full.get("format") is None else None  # type: ignore[return-value]


def follow_names(record: dict[str, Any], sent: Mapping[str, Any], names: tuple[str, str, str] | None) -> None:
    """A record a client wrote: its full name (`names`, see derived_names) follows the first and last name the
    client changed (`sent`), as the server derives it, unless the client sent a full name too. The generated
    base's full name belongs to other names."""
    if names is None:
        return
    first, last, full = names
    if full in sent or (first not in sent and last not in sent):
        return
    given = [record[k] for k in (first, last) if isinstance(record.get(k), str) and record[k]]
    if given and isinstance(record.get(full), str):
        record[full] = " ".join(given)


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _dates_in_order(pairs: tuple[tuple[str, str], ...]) -> Step:
    def step(obj: dict[str, Any], r: random.Random) -> None:
        for earlier, later in pairs:
            a, b = _moment(obj.get(earlier)), _moment(obj.get(later))
            if a is not None and b is not None and b < a:
                obj[earlier], obj[later] = obj[later], obj[earlier]
    return step


def _country(keys: Mapping[str, str], is_country: bool) -> Step:
    fields = {"twoletterisocountry": 1, "threeletterisocountry": 2, "dialinprefix": 3, "currencycode": 4}
    if is_country:
        fields.update(name=0, englishname=0)
    present = tuple((keys[k], i) for k, i in fields.items() if k in keys)

    def step(obj: dict[str, Any], r: random.Random) -> None:
        country = COUNTRIES[int(r.random() * len(COUNTRIES))]
        for key, index in present:
            if obj.get(key) is not None:
                obj[key] = country[index]
    return step

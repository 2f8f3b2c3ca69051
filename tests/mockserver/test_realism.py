"""Data a user believes: the realism check (bench/realism.py) flags each kind of implausible value, and finds
none in what the mock generates for every schema of the corpus and of the seeds."""
from __future__ import annotations

import importlib.util
import random
import sys
from typing import Any

import pytest
from mock_support import REPO

from mockserver.coherence import COUNTRIES, finisher
from mockserver.pools import pools_for

_spec = importlib.util.spec_from_file_location("realism", REPO / "bench" / "realism.py")
realism = sys.modules["realism"] = importlib.util.module_from_spec(_spec)  # its dataclasses look it up there
_spec.loader.exec_module(realism)  # type: ignore[union-attr]


PLANTED: list[tuple[str, Any]] = [
    ("email", {"Email": "bring"}),
    ("email", {"Emails": [{"Value": "bring"}]}),
    ("phone", {"OfficePhones": [{"Value": "course"}]}),
    ("phone", {"ContactFax": "12"}),
    ("url", {"Urls": [{"Value": "movement"}]}),
    ("salutation", {"Mrmrs": "road"}),
    ("iso-code", {"TwoLetterISOCountry": "Martinique"}),
    ("iso-code", {"CurrencyCode": "dollars"}),
    ("coordinate", {"Wgs84Latitude": 564.44}),
    ("coordinate", {"Wgs84Longitude": -181}),
    ("percent", {"ProgressPercent": 140}),
    ("birth-date", {"BirthDate": "2024-05-01T00:00:00+00:00"}),
    ("full-name", {"Firstname": "Tamara", "Lastname": "Villegas", "FullName": "Sharon Randall"}),
    ("email-name", {"Firstname": "Tamara", "Lastname": "Villegas", "Emails": [{"Value": "sr@example.com"}]}),
    ("date-order", {"Created": "2024-05-02T00:00:00Z", "LastStarted": "2024-05-01T00:00:00+02:00"}),
    ("country", {"TwoLetterISOCountry": "NO", "ThreeLetterISOCountry": "SWE"}),
]


@pytest.mark.parametrize(("rule", "value"), PLANTED, ids=[f"{r}-{i}" for i, (r, _) in enumerate(PLANTED)])
def test_each_rule_flags_what_is_implausible(rule: str, value: Any) -> None:
    assert [flag.rule for flag in realism.check_value({"Record": value})] == [rule]


def test_what_a_real_record_holds_is_not_flagged() -> None:
    record = {"Firstname": "Zoë", "Lastname": "O'Neil", "FullName": "Zoë O'Neil", "Mrmrs": "Ms",
              "Emails": [{"Value": "zoe.oneil@example.com", "StrippedValue": "zoe.oneil@example.com"}],
              "OfficePhones": [{"Value": "+47 22 33 44 55"}], "Urls": [{"Value": "https://example.com/"}],
              "BirthDate": "1980-02-29", "Created": "2024-05-01T10:00:00+02:00", "Updated": "2024-05-01T09:00:00Z",
              "Country": {"TwoLetterISOCountry": "NO", "ThreeLetterISOCountry": "NOR", "CurrencyCode": "NOK"},
              "Address": {"Wgs84Latitude": 59.91, "Wgs84Longitude": -10.75}, "ProgressPercent": 100}
    assert realism.check_value(record) == []


def test_no_flag_in_any_schema_of_the_corpus(corpus_result) -> None:
    report = realism.check_spec(corpus_result.spec, samples=10)
    assert report.values > 1500
    assert not report.flags, report.flags[:10]


def test_no_flag_in_any_schema_of_the_seeds(seeds_result) -> None:
    report = realism.check_spec(seeds_result.spec, samples=10)
    assert not report.flags, report.flags[:10]


def _finish(name: str, properties: dict[str, Any], value: dict[str, Any], seed: int = 1) -> dict[str, Any]:
    pools = pools_for(0)
    finish = finisher(name, properties, pools, lambda kind: lambda r: {"email": "x@y.com", "phone": "+1 555 0100",
                                                                     "url": "https://x.y/"}[kind], lambda s: s)
    assert finish is not None
    return finish(value, random.Random(seed))


STRING = {"type": "string"}


def test_a_finisher_leaves_values_the_schema_constrains_alone() -> None:
    props = {"Firstname": STRING, "Lastname": STRING, "FullName": {"type": "string", "maxLength": 5}}
    assert _finish("Person", props, {"Firstname": "Ada", "Lastname": "Lovelace", "FullName": "Bob"})["FullName"] == "Bob"
    assert finisher("Thing", {"Created": STRING, "Updated": {"type": "string", "format": "date"}}, pools_for(0),
                    lambda kind: None, lambda s: s) is None  # a date and a date-time are never swapped


def test_a_finisher_builds_names_and_emails_without_changing_shared_elements() -> None:
    element = {"Value": "someone@mail.example", "StrippedValue": "someone@mail.example"}
    item = {"type": "object", "properties": {"Value": STRING, "StrippedValue": STRING}}
    props = {"Firstname": STRING, "Lastname": STRING, "FullName": STRING, "Emails": {"type": "array", "items": item}}
    out = _finish("Person", props, {"Firstname": "Zoë", "Lastname": "O'Neil", "FullName": "x", "Emails": [element]})
    assert out["FullName"] == "Zoë O'Neil"
    assert out["Emails"] == [{"Value": "zoe.oneil@mail.example", "StrippedValue": "zoe.oneil@mail.example"}]
    assert element == {"Value": "someone@mail.example", "StrippedValue": "someone@mail.example"}
    # A StrippedValue the schema limits, or does not list, keeps what the generator drew.
    item["properties"]["StrippedValue"] = {"type": "string", "maxLength": 12}
    out = _finish("Person", props, {"Firstname": "Zoë", "Lastname": "O'Neil", "Emails": [element]})
    assert out["Emails"] == [{"Value": "zoe.oneil@mail.example", "StrippedValue": "someone@mail.example"}]


def test_a_finisher_writes_no_value_into_a_format_it_is_not() -> None:
    props = {"Value": {"type": "string", "format": "date-time"}}
    assert finisher("Email", props, pools_for(0), lambda kind: None, lambda s: s) is None
    props = {"Firstname": STRING, "Lastname": STRING, "Email": {"type": "string", "format": "email"},
             "FullName": {"type": "string", "format": "uri"}}
    out = _finish("Person", props, {"Firstname": "Ada", "Lastname": "Byron", "Email": "a@b.org", "FullName": "x"})
    assert out == {"Firstname": "Ada", "Lastname": "Byron", "Email": "ada.byron@b.org", "FullName": "x"}


def test_a_country_is_one_country() -> None:
    props = {"Name": STRING, "TwoLetterISOCountry": STRING, "ThreeLetterISOCountry": STRING, "DialInPrefix": STRING}
    out = _finish("Country", props, dict.fromkeys(props, "x"))
    assert tuple(out.values()) in {(c[0], c[1], c[2], c[3]) for c in COUNTRIES}


def test_a_full_name_is_derived_on_writes_only_where_nothing_constrains_it() -> None:
    from mockserver.coherence import derived_names, follow_names

    free = {"Firstname": STRING, "Lastname": STRING, "FullName": STRING}
    assert derived_names(free, lambda s: s) == ("Firstname", "Lastname", "FullName")
    assert derived_names({**free, "FullName": {"type": "string", "maxLength": 40}}, lambda s: s) is None
    assert derived_names({"Firstname": STRING, "FullName": STRING}, lambda s: s) is None
    record = {"Firstname": "Ada", "Lastname": "Byron", "FullName": "Someone Else"}
    follow_names(record, {"Lastname": "Byron"}, ("Firstname", "Lastname", "FullName"))
    assert record["FullName"] == "Ada Byron"
    follow_names(record, {"Lastname": "X", "FullName": "Mine"}, ("Firstname", "Lastname", "FullName"))
    assert record["FullName"] == "Ada Byron"  # the client's own full name is not overwritten

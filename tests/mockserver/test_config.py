"""The typed settings object: parsing latencies, refusing impossible values, and crossing to worker processes."""
from __future__ import annotations

import json
import random
import re

import pytest

from mockserver import Config, ConfigError, Latency, MockServerError, create_app


@pytest.mark.parametrize(("text", "low", "high"), [
    ("100ms", 100, 100), ("50..200ms", 50, 200), ("1-2s", 1000, 2000), ("0.5s", 500, 500), ("250", 250, 250),
    ("50ms..1s", 50, 1000), (" 10 .. 20 ms ", 10, 20),
])
def test_latencies_are_read_in_milliseconds(text: str, low: float, high: float) -> None:
    latency = Latency.parse(text)
    assert (latency.low_ms, latency.high_ms) == (low, high)
    assert Latency.parse(str(latency)) == latency  # what is printed reads back the same


@pytest.mark.parametrize(("text", "why"), [("fast", "not a duration"), ("200..100ms", "lower bound"),
                                           ("2min", "not a duration"), ("61s", "at most 60s")])
def test_impossible_latencies_say_why(text: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        Latency.parse(text)


def test_a_latency_range_is_drawn_uniformly_and_within_bounds() -> None:
    latency = Latency.parse("50..200ms")
    draws = [latency.draw_ms(random.Random(n)) for n in range(200)]
    assert all(50 <= d <= 200 for d in draws) and max(draws) - min(draws) > 100


@pytest.mark.parametrize(("settings", "why"), [
    ({"fault_rate": 1.5}, "between 0 and 1"), ({"max_body": -1}, "max_body"), ({"journal_size": -5}, "journal"),
    ({"proxy": "ftp://x"}, "http"), ({"record": "out.jsonl"}, "proxy"), ({"workers": 0}, "workers"),
])
def test_impossible_settings_are_refused_with_the_setting_named(settings: dict, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        Config(**settings)


def test_a_config_crosses_to_workers_as_json_unchanged() -> None:
    config = Config(seed=7, credentials=["Basic a"], cors_origins=("*",), latency="10..20ms", fault_rate=0.1,
                    state="sqlite:/tmp/x.db", journal_size=5, proxy="http://127.0.0.1:9", record="r.jsonl")
    assert config.credentials == ("Basic a",)  # lists become tuples: the object stays hashable
    assert Config.from_json(config.to_json()) == config
    with pytest.raises(ConfigError, match="unknown setting"):
        Config.from_json({**config.to_json(), "colour": "blue"})


def test_create_app_takes_a_config_or_its_fields(seeds_fixture: dict) -> None:
    by_object = create_app(seeds_fixture, Config(seed=3, journal_size=0))
    by_keywords = create_app(seeds_fixture, seed=3, journal_size=0)
    both = create_app(seeds_fixture, Config(seed=3), journal_size=0)
    assert by_object.config == by_keywords.config == both.config
    assert by_object.journal is None
    with pytest.raises(MockServerError, match="unknown setting"):
        create_app(seeds_fixture, colour="blue")


def test_state_is_an_engine_or_where_to_keep_it(seeds_fixture: dict) -> None:
    assert create_app(seeds_fixture).state is None
    app = create_app(seeds_fixture, state="memory")
    assert app.state is not None and app.config.state == "memory" and app.actions


@pytest.mark.parametrize(("settings", "why"), [
    ({"journal_size": 1.5}, "journal_size must be a whole number"), ({"fault_rate": "0.5"}, "fault rate"),
    ({"auth": "no"}, "auth must be true or false"), ({"proxy": "http://[::1"}, "not a URL"),
    ({"credentials": [5]}, "credentials must be text"), ({"latency": 5}, "latency must be"),
])
def test_values_of_the_wrong_kind_are_refused_by_name(settings: dict, why: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(why)):
        Config(**settings)


def test_one_text_value_is_one_value_not_its_letters() -> None:
    config = Config(credentials="Basic dGplMDpUamUw", cors_origins="https://app.example")
    assert config.credentials == ("Basic dGplMDpUamUw",) and config.cors_origins == ("https://app.example",)


def test_a_latency_built_by_hand_is_checked_too() -> None:
    with pytest.raises(ConfigError, match="milliseconds from 0"):
        Latency(0, 1e9)
    with pytest.raises(ConfigError, match="lower bound"):
        Latency(50, 10)
    with pytest.raises(ConfigError, match="milliseconds from 0"):
        Latency(-50, 10)


def test_a_latency_reaches_the_workers_exactly() -> None:
    config = Config(latency="1.23456789s")
    assert Config.from_json(json.loads(json.dumps(config.to_json()))).latency == config.latency
    tiny = Config(latency="0.00001")
    assert Config.from_json(json.loads(json.dumps(tiny.to_json()))) == tiny


def test_connection_limits_have_their_documented_defaults_and_cross_to_workers() -> None:
    config = Config()
    assert (config.idle_timeout, config.header_timeout, config.body_timeout, config.max_connections) == \
        (5.0, 10.0, 30.0, 1000)
    tuned = Config(idle_timeout=0.5, header_timeout=2, body_timeout=90.0, max_connections=1)
    assert Config.from_json(json.loads(json.dumps(tuned.to_json()))) == tuned


@pytest.mark.parametrize(("settings", "why"), [
    ({"idle_timeout": 0}, "idle_timeout must be a number of seconds above 0, not 0"),
    ({"header_timeout": -1.5}, "header_timeout must be a number of seconds above 0, not -1.5"),
    ({"body_timeout": float("inf")}, "body_timeout must be a number of seconds above 0, not inf"),
    ({"body_timeout": float("nan")}, "body_timeout must be a number of seconds above 0, not nan"),
    ({"header_timeout": "10s"}, "header_timeout must be a number of seconds above 0, not '10s'"),
    ({"idle_timeout": True}, "idle_timeout must be a number of seconds above 0, not True"),
    ({"max_connections": 0}, "max_connections must be 1 or more, not 0"),
    ({"max_connections": 10.0}, "max_connections must be a whole number, not 10.0"),
])
def test_impossible_connection_limits_are_refused_by_name(settings: dict, why: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(why)):
        Config(**settings)


@pytest.mark.parametrize("token", ["", "two words", "tab\there", "line\nbreak", 7])
def test_an_admin_token_that_cannot_travel_in_a_header_is_refused(token: object) -> None:
    with pytest.raises(ConfigError, match="admin.token"):
        Config(admin_token=token)


def test_an_admin_token_reaches_the_workers() -> None:
    config = Config(admin_token="t0ken", credentials=("Basic x",))
    assert Config.from_json(config.to_json()) == config

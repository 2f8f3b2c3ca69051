"""Pools of realistic words, names and addresses drawn once per seed from Faker, so requests never call Faker."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from faker import Faker

POOL_SIZE = 160


@dataclass(frozen=True, slots=True)
class Pools:
    """Tuples to pick from with a cheap seeded RNG; every field has POOL_SIZE entries."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    full_names: tuple[str, ...]
    companies: tuple[str, ...]
    words: tuple[str, ...]
    sentences: tuple[str, ...]
    phrases: tuple[str, ...]
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    cities: tuple[str, ...]
    countries: tuple[str, ...]
    country_codes: tuple[str, ...]
    streets: tuple[str, ...]
    zipcodes: tuple[str, ...]
    urls: tuple[str, ...]
    domains: tuple[str, ...]
    jobs: tuple[str, ...]
    usernames: tuple[str, ...]
    filenames: tuple[str, ...]
    colors: tuple[str, ...]
    currencies: tuple[str, ...]
    cultures: tuple[str, ...]


@functools.lru_cache(maxsize=8)
def pools_for(seed: int) -> Pools:
    """Build (and cache) the pools for one server seed; the same seed and Faker version give the same pools."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    n = POOL_SIZE
    first = tuple(fake.first_name() for _ in range(n))
    last = tuple(fake.last_name() for _ in range(n))
    domains = tuple(fake.domain_name() for _ in range(n))
    return Pools(
        first_names=first,
        last_names=last,
        full_names=tuple(f"{f} {l}" for f, l in zip(first, last[1:] + last[:1])),
        companies=tuple(fake.company() for _ in range(n)),
        words=tuple(fake.word() for _ in range(n)),
        sentences=tuple(fake.sentence(nb_words=8) for _ in range(n)),
        phrases=tuple(fake.catch_phrase() for _ in range(n)),
        emails=tuple(f"{f.lower()}.{l.lower()}@{d}" for f, l, d in zip(first, last, domains)),
        phones=tuple(fake.phone_number() for _ in range(n)),
        cities=tuple(fake.city() for _ in range(n)),
        countries=tuple(fake.country() for _ in range(n)),
        country_codes=tuple(fake.country_code() for _ in range(n)),
        streets=tuple(fake.street_address() for _ in range(n)),
        zipcodes=tuple(fake.postcode() for _ in range(n)),
        urls=tuple(f"https://www.{d}/" for d in domains),
        domains=domains,
        jobs=tuple(fake.job() for _ in range(n)),
        usernames=tuple(fake.user_name() for _ in range(n)),
        filenames=tuple(fake.file_name() for _ in range(n)),
        colors=tuple(fake.color_name() for _ in range(n)),
        currencies=tuple(fake.currency_code() for _ in range(n)),
        cultures=tuple(fake.locale().replace("_", "-") for _ in range(n)),
    )

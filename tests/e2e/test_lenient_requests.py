"""What the real server accepts, the mock accepts: query names in any case (ASP.NET binds them without regard
to case) and date-times without an offset (taken as local time there). What no server accepts stays a 400."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.validation import FORMAT_CHECKER

AUTH = {"Authorization": "Basic dXNlcjpwYXNz"}


@pytest.fixture()
def corpus(corpus_spec):
    return TestClient(create_app(corpus_spec, state="memory"), headers=AUTH)


def test_a_query_name_in_another_case_is_the_documented_one(corpus) -> None:
    # The page spells it `BlobEntityId`; the vendor's contract and its clients send `blobEntityId`.
    for name in ("BlobEntityId", "blobEntityId", "BLOBENTITYID"):
        assert corpus.post(f"/api/v1/Agents/BLOB/DeleteBlobEntity?{name}=5").status_code == 204, name
    missing = corpus.post("/api/v1/Agents/BLOB/DeleteBlobEntity?blobEntity=5")
    assert missing.status_code == 400
    assert missing.json()["errors"] == [{"location": "query.BlobEntityId",
                                         "message": "required query parameter is missing"}]
    wrong = corpus.post("/api/v1/Agents/BLOB/DeleteBlobEntity?blobentityid=five")
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["location"] == "query.BlobEntityId"


def test_a_date_time_without_an_offset_is_accepted_and_kept(corpus) -> None:
    created = corpus.post("/api/v1/Person", json={"Firstname": "Ada", "BirthDate": "1990-05-01T12:00:00"})
    assert created.status_code == 200, created.text
    person = corpus.get(f"/api/v1/Person/{created.json()['PersonId']}").json()
    assert person["BirthDate"] == "1990-05-01T12:00:00"
    refused = corpus.post("/api/v1/Person", json={"Firstname": "Ada", "BirthDate": "1990-06-31T12:00:00"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["location"] == "body.BirthDate"


@pytest.mark.parametrize("value", ["2024-05-01T12:00:00", "2024-05-01T12:00", "2024-05-01 12:00:00",
                                   "2024-05-01T12:00:00Z", "2024-05-01t12:00:00z", "2024-05-01T12:00:00+02:00",
                                   "2024-05-01T12:00:00.1234567-05:30", "2024-02-29T00:00:00"])
def test_date_times_a_client_may_send(value: str) -> None:
    assert FORMAT_CHECKER.conforms(value, "date-time")


@pytest.mark.parametrize("value", ["2024-05-01", "2023-02-29T00:00:00", "2024-05-01T24:00:00", "2024-13-01T00:00",
                                   "2024-05-01T12:00:00+0200", "2024-05-01T12", "May 1, 2024", "2024-05-01T12:00:00ZZ",
                                   "", "2024-05-01T12:00:00.+02:00"])
def test_what_is_no_date_time_is_refused(value: str) -> None:
    assert not FORMAT_CHECKER.conforms(value, "date-time")


def test_an_integer_of_thousands_of_digits_is_a_400_not_a_500(corpus) -> None:
    answer = corpus.post(f"/api/v1/Agents/BLOB/DeleteBlobEntity?BlobEntityId={'9' * 5000}")
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"] == [{"location": "query.BlobEntityId",
                                        "message": "an integer of 5000 digits is out of range"}]

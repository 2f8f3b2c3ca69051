"""A deliberately wrong server for `docmock verify` to catch: each operation breaks its contract in one way.

The seed pages' operations (docs_src/) and the two of fixtures/things.yaml:

| operation | what it does wrong |
|---|---|
| v1Batch_StartBatchJob (POST /api/v1/BatchTask) | answers 201; the docs document only 200 |
| v1Batch_GetBatchTaskInfo (GET /api/v1/BatchTask/{id}) | `Id` is a string; the schema says int32 |
| v1Batch_GetBatchTaskInfosByState (GET /api/v1/BatchTask/{state}) | answers 500 |
| v1BatchAgent_GetBatchTaskInfosByAssociatesAndState (POST) | JSON labelled text/plain; the docs list JSON and XML |
| getThing (GET /things/{id}) | leaves out the required `Name` |
| renameThing (PUT /things/{id}) | refuses every request with a 400, which it documents for invalid ones |
| listThings (GET /things) | leaves out the required `X-Total-Count` header |
| createNote, getNote (POST /notes, GET /notes/{id}) | answers a new id, but never finds the note (404) |

Only a sequence can catch the last one: every answer on its own is documented.

Run it with `python -m uvicorn wrong_server:app --app-dir tests/verify --port N`.
"""
from __future__ import annotations

import itertools
import json
import re

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# What `docmock verify` should find, by operationId: the check that fails and a piece of its message. The tests
# read this table, so that the server and what is expected of it stay side by side.
FAULTS = {
    "v1Batch_StartBatchJob": ("status_code_conformance", "Received: 201"),
    "v1Batch_GetBatchTaskInfo": ("response_schema_conformance", "is not of type"),
    "v1Batch_GetBatchTaskInfosByState": ("not_a_server_error", "500"),
    "v1BatchAgent_GetBatchTaskInfosByAssociatesAndState": ("content_type_conformance", "Received: text/plain"),
    "getThing": ("response_schema_conformance", '"Name" is a required property'),
    "renameThing": ("positive_data_acceptance", "Schema-valid request rejected"),
    "listThings": ("response_headers_conformance", "X-Total-Count"),
    "getNote": ("ensure_resource_availability", "for a resource that was just created"),
}
_INTEGER = re.compile(r"-?\d+")


def _task(task_id: int) -> dict[str, object]:
    # Everything else about a task is right: only the operation's one fault may show.
    return {"Id": task_id, "Name": "Nightly export", "AssociateId": 7, "State": "New", "ProgressPercent": 40}


async def start_batch_job(request: Request) -> Response:
    return JSONResponse(1000001, status_code=201)


async def batch_task(request: Request) -> Response:
    key = request.path_params["key"]
    if _INTEGER.fullmatch(key):  # GET /BatchTask/{id}
        return JSONResponse({**_task(int(key)), "Id": f"task {key}"})
    return JSONResponse({"detail": "database is down"}, status_code=500)  # GET /BatchTask/{state}


async def tasks_by_associates_and_state(request: Request) -> Response:
    return Response(json.dumps([_task(1), _task(2)]), media_type="text/plain")


async def get_thing(request: Request) -> Response:
    return JSONResponse({"Id": 1})


async def rename_thing(request: Request) -> Response:
    return JSONResponse({"detail": "not today"}, status_code=400)


async def list_things(request: Request) -> Response:
    return JSONResponse([{"Id": 1, "Name": "one"}])


async def create_note(request: Request) -> Response:
    return JSONResponse(next(_note_ids))


async def get_note(request: Request) -> Response:
    return JSONResponse({"detail": "no such note"}, status_code=404)  # documented, but it was just created


_note_ids = itertools.count(1000)
app = Starlette(routes=[
    Route("/api/v1/BatchTask", start_batch_job, methods=["POST"]),
    Route("/api/v1/BatchTask/{key}", batch_task, methods=["GET"]),
    Route("/api/v1/Agents/Batch/GetBatchTaskInfosByAssociatesAndState", tasks_by_associates_and_state,
          methods=["POST"]),
    Route("/things", list_things, methods=["GET"]),
    Route("/things/{id}", get_thing, methods=["GET"]),
    Route("/things/{id}", rename_thing, methods=["PUT"]),
    Route("/notes", create_note, methods=["POST"]),
    Route("/notes/{id}", get_note, methods=["GET"]),
])

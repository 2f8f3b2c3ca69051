"""Deriving a per-request RNG seed that is stable across processes and machines (never Python's salted hash())."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# Query parameters that shape the view, not the identity of what is shown.
VIEW_PARAMETERS = frozenset({"$select", "$format", "$lang"})


def request_seed(server_seed: int, operation_id: str, status: int, path_params: Mapping[str, str],
                 query: Mapping[str, list[str]], body: bytes) -> int:
    """64-bit seed from the server seed, the operation and the request's identifying parts."""
    h = hashlib.blake2b(digest_size=8)
    h.update(f"{server_seed}\x00{operation_id}\x00{status}\x00".encode())
    for name in sorted(path_params):
        h.update(f"p:{name}={path_params[name]}\x00".encode())
    for name in sorted(query):
        if name.lower() not in VIEW_PARAMETERS:
            h.update(f"q:{name}={json.dumps(query[name])}\x00".encode())
    if body:
        h.update(b"b:" + hashlib.blake2b(body, digest_size=16).digest())
    return int.from_bytes(h.digest(), "big")


def stable_seed(*parts: Any) -> int:
    h = hashlib.blake2b("\x00".join(map(str, parts)).encode(), digest_size=8)
    return int.from_bytes(h.digest(), "big")

"""docmock's state engine: stateful mocking inferred from the spec (entities, roles, overlay, sessions, storage)."""
from __future__ import annotations

from .engine import (DEFAULT_SESSION, GENERATE, NO_BODY, SESSION_HEADER, Outcome, StateEngine, session_name)
from .entities import CREATED_ID_START, Action, Entity, Filter, Inference, Reply, Role, infer
from .errors import OverridesError, PatchConflict, PatchError, StateError
from .overrides import check_overrides, load_overrides
from .patch import apply_json_patch, apply_merge_patch
from .opening import open_store
from .store import DELETED, MemoryStore, SqliteStore, Store

__all__ = [
    "CREATED_ID_START", "DEFAULT_SESSION", "DELETED", "GENERATE", "NO_BODY", "SESSION_HEADER", "Action", "Entity",
    "Filter", "Inference", "MemoryStore", "Outcome", "OverridesError", "PatchConflict", "PatchError", "Reply",
    "Role", "SqliteStore", "StateEngine", "StateError", "Store", "apply_json_patch", "apply_merge_patch",
    "check_overrides", "infer", "load_overrides", "open_store", "session_name",
]

"""docmock's mock server: serves any OpenAPI 3.0/3.1 document as a realistic, deterministic ASGI mock."""
from __future__ import annotations

from .app import DEFAULT_MAX_BODY, MockApp, StartupReport, create_app
from .errors import MockServerError, SpecError
from .spec import load_spec

__all__ = ["DEFAULT_MAX_BODY", "MockApp", "MockServerError", "SpecError", "StartupReport", "create_app",
           "load_spec"]

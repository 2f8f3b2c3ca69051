"""docmock's mock server: serves any OpenAPI 3.0/3.1 document as a realistic, deterministic ASGI mock."""
from __future__ import annotations

from .app import MockApp, create_app
from .config import DEFAULT_MAX_BODY, Config, ConfigError, Latency
from .errors import MockServerError, SpecError
from .report import StartupReport
from .spec import load_spec

__all__ = ["DEFAULT_MAX_BODY", "Config", "ConfigError", "Latency", "MockApp", "MockServerError", "SpecError",
           "StartupReport", "create_app", "load_spec"]

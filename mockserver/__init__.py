"""docmock's mock server: serves any OpenAPI 3.0/3.1 document as a realistic, deterministic ASGI mock."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import DEFAULT_MAX_BODY, Config, ConfigError, Latency
from .errors import MockServerError, SpecError
from .spec import load_spec

if TYPE_CHECKING:
    from .app import MockApp, create_app
    from .report import StartupReport

__all__ = ["DEFAULT_MAX_BODY", "Config", "ConfigError", "Latency", "MockApp", "MockServerError", "SpecError",
           "StartupReport", "create_app", "load_spec"]
_LAZY = {"MockApp": "app", "create_app": "app", "StartupReport": "report"}


def __getattr__(name: str) -> Any:
    # The app (its validators, data generators, state) is imported on first use: reading a spec file
    # (`docmock diff`, `docmock verify`) needs only `spec`.
    module = _LAZY.get(name)
    if module is not None:
        from importlib import import_module
        return getattr(import_module(f".{module}", __name__), name)
    raise AttributeError(f"module 'mockserver' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

"""The mock server's one root exception, raised for anything the caller must fix (bad spec, bad options)."""
from __future__ import annotations


class MockServerError(Exception):
    """Root of every error the mock server library raises on purpose."""


class SpecError(MockServerError):
    """The OpenAPI document cannot be served (unreadable, wrong version, dangling $ref)."""

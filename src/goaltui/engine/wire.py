"""JSON-lines messages between the UI and the engine, and how errors travel."""

from __future__ import annotations

import json
from typing import Any

from goaltui import errors
from goaltui.model.validate import Problem, ValidationError

__all__ = ["decode_error", "encode", "encode_error"]


def encode(message: dict[str, Any]) -> bytes:
    """One line of compact JSON."""
    return json.dumps(message, separators=(",", ":"), default=str).encode() + b"\n"


def encode_error(exc: BaseException) -> dict[str, Any]:
    """An exception as data: its class name, title, message and field problems."""
    out: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, ValidationError):
        out["problems"] = [[p.field, p.message] for p in exc.problems]
    if isinstance(exc, errors.GoaltuiError):
        out["title"] = exc.title
    return out


def decode_error(data: dict[str, Any]) -> Exception:
    """The exception ``encode_error`` described, rebuilt on the UI side."""
    kind = str(data.get("type", ""))
    message = str(data.get("message", "unknown error"))
    if "problems" in data:
        return ValidationError([Problem(str(f), str(m)) for f, m in data["problems"]])
    cls = getattr(errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, errors.GoaltuiError):
        return cls(message)
    err = errors.GoaltuiError(message)
    return err

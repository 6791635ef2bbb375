"""One field's value: from typed text to a Python value, and checked before any write.

Validation happens before a value reaches Automerge because a bad value there panics
and poisons the document (see DESIGN.md). ``goaltui.model.validate`` re-exports
:func:`parse_field_value` and :func:`check_value`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from goaltui.model.dates import format_instant, parse_date, parse_instant
from goaltui.model.errors import ValidationError
from goaltui.model.schema import SMART_CRITERIA, Field, FieldType

__all__ = [
    "MAX_ID_LEN",
    "MAX_STR_LEN",
    "MAX_TEXT_LEN",
    "UNSET_WORDS",
    "check_value",
    "parse_field_value",
]

MAX_STR_LEN = 1_000  # short fields: titles, names, units
MAX_TEXT_LEN = 100_000  # long free text: descriptions, notes
MAX_ID_LEN = 200
UNSET_WORDS = ("", "-")  # typed text that means "no value"
_INT64 = (-(2**63), 2**63 - 1)  # Automerge stores ints as 64-bit
_TRUE = frozenset({"true", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "no", "n", "off", "0"})
_INT_RE = re.compile(r"[+-]?\d+")
_CRITERIA_ALIASES = {"timebound": "time_bound", "time": "time_bound"}
_SMART_PAIR = re.compile(r"\s*([^=:]+?)\s*[=:]\s*(.*?)\s*", re.S)
_SMART_SPLIT = re.compile(
    r";\s*(?=(?:specific|measurable|achievable|relevant|time[_ -]?bound|time)\s*[=:])", re.I
)


class _Bad(Exception):
    """A value's problem, before it is tied to a field name."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_field_value(field: Field, text: str) -> Any:
    """Convert what a person typed (CLI option, TUI input) into ``field``'s value.

    ``""`` or ``"-"`` mean unset (None). Ints, finite floats, booleans
    (true/false, yes/no, on/off, 1/0), dates and instants (see ``dates``), enum
    values (case and ``-``/space insensitive), refs, refs as ``a,b,c`` and SMART
    statements as ``specific=...; measurable=...``. The result has passed
    :func:`check_value`. Raises ValidationError naming the field.
    """
    stripped = text.strip()
    if stripped in UNSET_WORDS:
        return None
    try:
        value = _from_text(field, stripped, text)
    except _Bad as bad:
        raise ValidationError.single(field.name, bad.message) from None
    return check_value(field, value)


def _from_text(field: Field, stripped: str, raw: str) -> Any:
    kind = field.type
    if kind is FieldType.INT:
        if not _INT_RE.fullmatch(stripped):
            raise _Bad(f"{stripped!r} is not a whole number")
        return int(stripped)
    if kind is FieldType.FLOAT:
        try:
            return float(stripped)
        except ValueError:
            raise _Bad(f"{stripped!r} is not a number") from None
    if kind is FieldType.BOOL:
        lowered = stripped.lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE
        raise _Bad(f"{stripped!r} is not a yes/no value; use true/false, yes/no or 1/0")
    if kind is FieldType.DATE:
        return parse_date(stripped, field=field.name)
    if kind is FieldType.INSTANT:
        return parse_instant(stripped, field=field.name)
    if kind is FieldType.REFS:
        return [part.strip() for part in stripped.split(",") if part.strip()]
    if kind is FieldType.SMART:
        return _smart_from_text(stripped)
    if kind is FieldType.TEXT:
        return raw
    return stripped


def _smart_from_text(text: str) -> dict[str, str]:
    statements: dict[str, str] = {}
    for part in _SMART_SPLIT.split(text):
        match = _SMART_PAIR.fullmatch(part)
        if match is None:
            raise _Bad(f"{part.strip()!r} has no '='; write e.g. specific=...; measurable=...")
        statements[match.group(1)] = match.group(2)
    return statements


def check_value(field: Field, value: Any) -> Any:
    """Check and normalise one field's Python value; None stays None (unset).

    Strings are stripped, and an empty optional string becomes None. Raises
    ValidationError naming the field, with what is wrong and what is expected.
    """
    if value is None:
        return None
    try:
        return _CHECKS[field.type](field, value)
    except _Bad as bad:
        raise ValidationError.single(field.name, bad.message) from None


def _clean_text(value: Any, *, multiline: bool, limit: int) -> str | None:
    if not isinstance(value, str):
        raise _Bad(f"must be text, not {type(value).__name__}")
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.strip()
    for ch in value:
        if ch == "\n" and not multiline:
            raise _Bad("must be a single line")
        if ch in "\n\t":
            continue
        category = unicodedata.category(ch)
        if category == "Cs":
            raise _Bad("contains an invalid character (a lone surrogate)")
        if category == "Cc":
            raise _Bad(f"contains a control character (U+{ord(ch):04X}); remove it")
    if len(value) > limit:
        raise _Bad(f"is {len(value)} characters long; at most {limit} are allowed")
    return value or None


def _check_str(field: Field, value: Any) -> str | None:
    return _clean_text(value, multiline=False, limit=MAX_STR_LEN)


def _check_text(field: Field, value: Any) -> str | None:
    return _clean_text(value, multiline=True, limit=MAX_TEXT_LEN)


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _check_range(field: Field, number: float) -> None:
    low, high = field.minimum, field.maximum
    if low is not None and high is not None and not low <= number <= high:
        raise _Bad(f"{_fmt(number)} is out of range; must be between {_fmt(low)} and {_fmt(high)}")
    if low is not None and number < low:
        raise _Bad(f"{_fmt(number)} is too small; must be at least {_fmt(low)}")
    if high is not None and number > high:
        raise _Bad(f"{_fmt(number)} is too large; must be at most {_fmt(high)}")


def _check_int(field: Field, value: Any) -> int:
    if isinstance(value, bool):
        raise _Bad("must be a whole number, not true/false")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise _Bad(f"must be a whole number, not {value!r}")
    if not _INT64[0] <= value <= _INT64[1]:
        raise _Bad("is too large to store; must fit in 64 bits")
    _check_range(field, value)
    return value


def _check_float(field: Field, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(f"must be a number, not {value!r}")
    try:
        number = float(value)
    except OverflowError:
        raise _Bad("is too large to store") from None
    if not math.isfinite(number):
        raise _Bad("must be a finite number (not nan or infinity)")
    _check_range(field, number)
    return number


def _check_bool(field: Field, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"must be true or false, not {value!r}")
    return value


def _check_date(field: Field, value: Any) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str):
        raise _Bad(f"must be a date (YYYY-MM-DD), not {value!r}")
    return parse_date(value, field=field.name)


def _check_instant(field: Field, value: Any) -> str:
    if isinstance(value, datetime):
        return format_instant(value)
    if not isinstance(value, str):
        raise _Bad(f"must be an instant (YYYY-MM-DDTHH:MM:SSZ), not {value!r}")
    return parse_instant(value, field=field.name)


def _check_enum(field: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad(f"must be one of {', '.join(field.choices)}")
    normal = re.sub(r"[-\s]+", "_", value.strip().lower())
    if normal not in field.choices:
        raise _Bad(f"{value!r} is not allowed; use one of {', '.join(field.choices)}")
    return normal


def _check_id(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad(f"must be a record id, not {value!r}")
    ident = value.strip()
    if not ident:
        raise _Bad("an id cannot be empty")
    if len(ident) > MAX_ID_LEN or any(
        c.isspace() or c == "," or not c.isprintable() for c in ident
    ):
        raise _Bad(f"{ident[:40]!r} is not a record id (no spaces, commas or control characters)")
    return ident


def _check_ref(field: Field, value: Any) -> str:
    return _check_id(value)


def _check_refs(field: Field, value: Any) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise _Bad("must be a list of record ids")
    ids: list[str] = []
    for item in value:
        ident = _check_id(item)
        if ident in ids:
            raise _Bad(f"lists {ident!r} twice")
        ids.append(ident)
    return ids


def _criterion(key: Any) -> str:
    if not isinstance(key, str):
        raise _Bad(f"SMART criteria are named by text, not {key!r}")
    name = re.sub(r"[-\s]+", "_", key.strip().lower())
    name = _CRITERIA_ALIASES.get(name, name)
    if name not in SMART_CRITERIA:
        raise _Bad(f"unknown SMART criterion {key!r}; use {', '.join(SMART_CRITERIA)}")
    return name


def _check_smart(field: Field, value: Any) -> dict[str, str] | None:
    if not isinstance(value, Mapping):
        raise _Bad("must map SMART criteria to statements, e.g. specific=...; measurable=...")
    statements: dict[str, str] = {}
    for key, text in value.items():
        name = _criterion(key)
        if text is None:
            continue
        try:
            clean = _clean_text(text, multiline=True, limit=MAX_STR_LEN)
        except _Bad as bad:
            raise _Bad(f"{name}: {bad.message}") from None
        if clean is not None:
            statements[name] = clean
    return {k: statements[k] for k in SMART_CRITERIA if k in statements} or None


_CHECKS: dict[FieldType, Any] = {
    FieldType.STR: _check_str,
    FieldType.TEXT: _check_text,
    FieldType.DATE: _check_date,
    FieldType.INSTANT: _check_instant,
    FieldType.INT: _check_int,
    FieldType.FLOAT: _check_float,
    FieldType.BOOL: _check_bool,
    FieldType.ENUM: _check_enum,
    FieldType.REF: _check_ref,
    FieldType.REFS: _check_refs,
    FieldType.SMART: _check_smart,
}

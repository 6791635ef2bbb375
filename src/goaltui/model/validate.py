"""Record validation: the one gate every write passes before it reaches the document.

:func:`validate_record` checks a whole record (or a partial update) against its
collection's schema and the workspace around it, and reports every problem at
once in a :class:`ValidationError`.

Relations that may not loop (a goal's parent, a team's parent, a task's
dependencies) are checked through a ``parent_chain`` callable that the caller
provides, because only the caller can see the workspace:

``parent_chain(key, start_id)`` yields the ids reachable from ``start_id`` by
following the relation named ``key`` — ``"goals"`` (``goals.parent``),
``"teams"`` (``teams.parent``) or ``"tasks.depends_on"`` (every task ``start_id``
depends on, transitively). Order does not matter, and yielding ``start_id`` itself
is allowed; it must stop even if stored data already loops. :func:`chain_from`
builds one from a record lookup.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from goaltui.model.errors import Problem, ValidationError
from goaltui.model.fieldvalues import check_value, parse_field_value
from goaltui.model.schema import Collection, Field, FieldType, collection

__all__ = [
    "CHAIN_KEYS",
    "Exists",
    "ParentChain",
    "Problem",
    "ValidationError",
    "chain_from",
    "check_value",
    "parse_field_value",
    "validate_record",
    "walk_relation",
]

Exists = Callable[[str, str], bool]
ParentChain = Callable[[str, str], Iterable[str]]

# (collection, field) → the parent_chain key of a relation that must not loop
CHAIN_KEYS: dict[tuple[str, str], str] = {
    ("goals", "parent"): "goals",
    ("teams", "parent"): "teams",
    ("tasks", "depends_on"): "tasks.depends_on",
}
_DATE_ORDER = (("start", "due"), ("start", "end"))


def validate_record(
    coll: Collection,
    data: Mapping[str, Any],
    *,
    exists: Exists,
    record_id: str | None = None,
    parent_chain: ParentChain | None = None,
    creating: bool = True,
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Check ``data`` for a record of ``coll``; return it normalised or raise ValidationError.

    Creating: every required field must be given, ``one_of`` satisfied, and fields
    given as None are dropped. Updating (``creating=False``): only the given fields
    are checked and None means "unset this field" (not allowed for required ones).
    ``current`` (the stored record, optional) lets the cross-field rules of an
    update (``one_of``, start before due/end) see the whole record.

    ``exists(collection, id)`` answers whether a referenced record exists
    (collection ``"*"`` for references to any kind). ``record_id`` and
    ``parent_chain`` enable the loop checks (see the module docstring); without
    ``parent_chain`` only self-references are caught.
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"record data must be a mapping, not {type(data).__name__}")
    problems: list[Problem] = []
    out = _check_fields(coll, data, creating, problems)
    bad = {p.field for p in problems}
    if creating:
        for f in coll.fields:
            if f.required and f.name not in out and f.name not in bad:
                problems.append(Problem(f.name, "is required"))
    _check_refs(coll, out, exists, record_id, parent_chain, problems)
    merged = {**(current or {}), **out}
    _check_one_of(coll, data, merged, creating, current is not None, problems)
    _check_date_order(out, merged, problems)
    if problems:
        raise ValidationError(problems)
    return out


def _check_fields(
    coll: Collection, data: Mapping[str, Any], creating: bool, problems: list[Problem]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in data.items():
        f = coll.get(name) if isinstance(name, str) else None
        if f is None:
            known = ", ".join(fld.name for fld in coll.fields)
            problems.append(Problem(str(name), f"is not a field of a {coll.kind}; known: {known}"))
            continue
        try:
            clean = check_value(f, value)
        except ValidationError as err:
            problems.extend(err.problems)
            continue
        if clean is None:
            if f.required:
                problems.append(Problem(name, "is required and cannot be empty"))
            elif not creating:
                out[name] = None
            continue
        out[name] = clean
    return out


def _targets(f: Field, value: Any) -> list[str]:
    if value is None:
        return []
    return list(value) if f.type is FieldType.REFS else [value]


def _check_refs(
    coll: Collection,
    out: Mapping[str, Any],
    exists: Exists,
    record_id: str | None,
    parent_chain: ParentChain | None,
    problems: list[Problem],
) -> None:
    for name, value in out.items():
        f = coll.field_map[name]
        if f.type not in (FieldType.REF, FieldType.REFS) or f.ref is None:
            continue
        chain_key = CHAIN_KEYS.get((coll.name, name))
        for target in _targets(f, value):
            if chain_key is not None and record_id is not None:
                loop = _loop_problem(coll, name, target, record_id, chain_key, parent_chain)
                if loop is not None:
                    problems.append(Problem(name, loop))
                    continue
            if not exists(f.ref, target):
                what = "record" if f.ref == "*" else collection(f.ref).kind
                problems.append(Problem(name, f"no {what} with id {target!r}"))


def _loop_problem(
    coll: Collection,
    name: str,
    target: str,
    record_id: str,
    chain_key: str,
    parent_chain: ParentChain | None,
) -> str | None:
    if target == record_id:
        own = "depend on itself" if name == "depends_on" else f"be its own {name}"
        return f"a {coll.kind} cannot {own}"
    if parent_chain is None:
        return None
    if any(ancestor == record_id for ancestor in parent_chain(chain_key, target)):
        return (
            f"{target!r} already {'depends on' if name == 'depends_on' else 'sits under'} "
            f"this {coll.kind}; that would make a loop"
        )
    return None


def _check_one_of(
    coll: Collection,
    data: Mapping[str, Any],
    merged: Mapping[str, Any],
    creating: bool,
    whole: bool,
    problems: list[Problem],
) -> None:
    if not coll.one_of:
        return
    touched = any(name in data for name in coll.one_of)
    if not creating and not (touched and (whole or all(n in data for n in coll.one_of))):
        return
    if all(merged.get(name) is None for name in coll.one_of):
        if any(p.field in coll.one_of for p in problems):
            return  # already reported as a bad value
        names = " or ".join(coll.one_of)
        problems.append(Problem(coll.one_of[0], f"a {coll.kind} needs a {names}"))


def _check_date_order(
    out: Mapping[str, Any], merged: Mapping[str, Any], problems: list[Problem]
) -> None:
    for first, last in _DATE_ORDER:
        if first not in out and last not in out:
            continue
        start, end = merged.get(first), merged.get(last)
        if not (isinstance(start, str) and isinstance(end, str)) or start <= end:
            continue
        if last in out:
            problems.append(Problem(last, f"{end} is before {first} {start}"))
        else:
            problems.append(Problem(first, f"{start} is after {last} {end}"))


def walk_relation(start: str, step: Callable[[str], Iterable[str]]) -> Iterator[str]:
    """Yield every id reachable from ``start`` through ``step``, each once, loop-safe."""
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in step(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
                yield nxt


def chain_from(lookup: Callable[[str, str], Mapping[str, Any] | None]) -> ParentChain:
    """A ``parent_chain`` for :func:`validate_record` from ``lookup(collection, id)``.

    ``lookup`` returns the stored record (or None when there is none); the chain
    follows ``parent`` for ``"goals"`` and ``"teams"`` and ``depends_on`` for
    ``"tasks.depends_on"``.
    """

    def step_for(key: str) -> Callable[[str], Iterable[str]]:
        coll_name, _, field_name = key.partition(".")
        field_name = field_name or "parent"

        def step(ident: str) -> Iterable[str]:
            record = lookup(coll_name, ident)
            value = None if record is None else record.get(field_name)
            if isinstance(value, str):
                return [value]
            if isinstance(value, (list, tuple)):
                return [v for v in value if isinstance(v, str)]
            return []

        return step

    def chain(key: str, start_id: str) -> Iterator[str]:
        return walk_relation(start_id, step_for(key))

    return chain

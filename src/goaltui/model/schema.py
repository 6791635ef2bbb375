"""The document schema of DESIGN.md as data: collections, their fields and types.

Every layer reads this one description: validation (``model.validate``), the
document codec (``workspace``), the SQLite mirror's tables and the CLI's
``add``/``edit`` options. Adding a field here adds it everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "COLLECTIONS",
    "KIND_TO_COLLECTION",
    "SCHEMA_VERSION",
    "Collection",
    "Field",
    "FieldType",
    "collection",
]

SCHEMA_VERSION = 1


class FieldType(str, Enum):
    """How a field is stored in the document and checked by validation."""

    STR = "str"  # short string, last writer wins (Automerge Str scalar)
    TEXT = "text"  # long free text, merged per character (Automerge Text)
    DATE = "date"  # ISO-8601 date string, 2027-03-31
    INSTANT = "instant"  # UTC ISO-8601 instant string, 2027-03-31T12:00:00Z
    INT = "int"
    FLOAT = "float"  # finite number
    BOOL = "bool"
    ENUM = "enum"  # one of Field.choices
    REF = "ref"  # id of a record in Field.ref ("*" = any collection)
    REFS = "refs"  # list of ids in Field.ref
    SMART = "smart"  # map of the five SMART criteria to short statements


SMART_CRITERIA = ("specific", "measurable", "achievable", "relevant", "time_bound")


@dataclass(frozen=True)
class Field:
    """One field of a record."""

    name: str
    type: FieldType
    required: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""


@dataclass(frozen=True)
class Collection:
    """A root map of the document: record id → record."""

    name: str  # collection key in the document, e.g. "goals"
    kind: str  # singular, as typed in the CLI: "goal"
    fields: tuple[Field, ...]
    title_field: str  # the field that names a record in lists
    append_only: bool = False  # check-ins, feedback, agreements, reviews
    archivable: bool = False  # deleting is archiving
    one_of: tuple[str, ...] = ()  # at least one of these fields is required
    field_map: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_map", {f.name: f for f in self.fields})

    def get(self, name: str) -> Field | None:
        """The field called ``name``, or None."""
        return self.field_map.get(name)


S, T, D, I_, INT, F, B, E, R, RS = (
    FieldType.STR,
    FieldType.TEXT,
    FieldType.DATE,
    FieldType.INSTANT,
    FieldType.INT,
    FieldType.FLOAT,
    FieldType.BOOL,
    FieldType.ENUM,
    FieldType.REF,
    FieldType.REFS,
)

LEVELS = ("strategic", "team", "individual")
GOAL_STATUSES = ("draft", "proposed", "active", "achieved", "missed", "dropped")
CADENCES = ("weekly", "biweekly", "monthly", "quarterly")
DIRECTIONS = ("increase", "decrease", "maintain")
CHECKIN_STATUSES = ("on_track", "at_risk", "off_track")
TASK_STATUSES = ("todo", "doing", "blocked", "done")
RESOURCE_KINDS = ("budget", "personnel", "technology", "other")
ROLES = ("responsible", "accountable", "consulted", "informed", "approver")
DECISIONS = ("agree", "object", "abstain")
FEEDBACK_KINDS = ("comment", "concern", "suggestion", "praise")
RISK_STATUSES = ("open", "mitigating", "closed", "occurred")

_CREATED = (Field("created_by", R, ref="people"), Field("created_at", I_))

COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        Collection(
            "values",
            "value",
            (Field("name", S, required=True), Field("description", T), *_CREATED),
            title_field="name",
        ),
        Collection(
            "people",
            "person",
            (
                Field("name", S, required=True),
                Field("handle", S),
                Field("email", S),
                Field("team", R, ref="teams"),
                Field("archived", B),
                *_CREATED,
            ),
            title_field="name",
            archivable=True,
        ),
        Collection(
            "teams",
            "team",
            (
                Field("name", S, required=True),
                Field("parent", R, ref="teams"),
                Field("lead", R, ref="people"),
                Field("archived", B),
                *_CREATED,
            ),
            title_field="name",
            archivable=True,
        ),
        Collection(
            "cycles",
            "cycle",
            (
                Field("name", S, required=True),
                Field("start", D),
                Field("end", D),
                Field("cadence", E, choices=CADENCES),
                Field("archived", B),
                *_CREATED,
            ),
            title_field="name",
            archivable=True,
        ),
        Collection(
            "goals",
            "goal",
            (
                Field("title", S, required=True),
                Field("description", T),
                Field("level", E, choices=LEVELS),
                Field("parent", R, ref="goals"),
                Field("team", R, ref="teams"),
                Field("owner", R, ref="people"),
                Field("cycle", R, ref="cycles"),
                Field("status", E, choices=GOAL_STATUSES),
                Field("priority", INT, minimum=0, maximum=1000),
                Field("start", D),
                Field("due", D),
                Field("smart", FieldType.SMART),
                Field("archived", B),
                *_CREATED,
            ),
            title_field="title",
            archivable=True,
        ),
        Collection(
            "kpis",
            "kpi",
            (
                Field("goal", R, required=True, ref="goals"),
                Field("name", S, required=True),
                Field("unit", S),
                Field("baseline", F),
                Field("target", F),
                Field("direction", E, choices=DIRECTIONS),
                Field("weight", F, minimum=0),
                Field("owner", R, ref="people"),
                Field("archived", B),
                *_CREATED,
            ),
            title_field="name",
            archivable=True,
        ),
        Collection(
            "checkins",
            "checkin",
            (
                Field("kpi", R, ref="kpis"),
                Field("goal", R, ref="goals"),
                Field("author", R, ref="people"),
                Field("at", I_),
                Field("value", F),
                Field("confidence", INT, minimum=0, maximum=10),
                Field("status", E, choices=CHECKIN_STATUSES),
                Field("note", T),
            ),
            title_field="at",
            append_only=True,
            one_of=("kpi", "goal"),
        ),
        Collection(
            "tasks",
            "task",
            (
                Field("goal", R, ref="goals"),
                Field("title", S, required=True),
                Field("assignee", R, ref="people"),
                Field("status", E, choices=TASK_STATUSES),
                Field("start", D),
                Field("due", D),
                Field("milestone", B),
                Field("depends_on", RS, ref="tasks"),
                Field("archived", B),
                *_CREATED,
            ),
            title_field="title",
            archivable=True,
        ),
        Collection(
            "resources",
            "resource",
            (
                Field("goal", R, required=True, ref="goals"),
                Field("kind", E, choices=RESOURCE_KINDS),
                Field("description", T),
                Field("amount", F, minimum=0),
                Field("unit", S),
                Field("person", R, ref="people"),
                Field("archived", B),
                *_CREATED,
            ),
            title_field="description",
            archivable=True,
        ),
        Collection(
            "stakeholders",
            "stakeholder",
            (
                Field("person", R, required=True, ref="people"),
                Field("goal", R, ref="goals"),
                Field("role", E, choices=ROLES),
                Field("needs", T),
                Field("archived", B),
                *_CREATED,
            ),
            title_field="role",
            archivable=True,
        ),
        Collection(
            "agreements",
            "agreement",
            (
                Field("goal", R, required=True, ref="goals"),
                Field("person", R, required=True, ref="people"),
                Field("decision", E, required=True, choices=DECISIONS),
                Field("note", T),
                Field("at", I_),
            ),
            title_field="decision",
            append_only=True,
        ),
        Collection(
            "priorities",
            "priority",
            (
                Field("person", R, required=True, ref="people"),
                Field("cycle", R, ref="cycles"),
                Field("ranking", RS, ref="goals"),
                Field("at", I_),
            ),
            title_field="person",
        ),
        Collection(
            "feedback",
            "feedback",
            (
                Field("target", R, ref="*"),
                Field("author", R, ref="people"),
                Field("at", I_),
                Field("kind", E, choices=FEEDBACK_KINDS),
                Field("text", T, required=True),
                Field("resolved", B),
            ),
            title_field="text",
            append_only=True,
        ),
        Collection(
            "reviews",
            "review",
            (
                Field("goal", R, ref="goals"),
                Field("cycle", R, ref="cycles"),
                Field("author", R, ref="people"),
                Field("at", I_),
                Field("score", F, minimum=0, maximum=1),
                Field("outcome", T),
                Field("lessons", T),
                Field("next_steps", T),
            ),
            title_field="outcome",
            append_only=True,
            one_of=("goal", "cycle"),
        ),
        Collection(
            "risks",
            "risk",
            (
                Field("goal", R, ref="goals"),
                Field("title", S, required=True),
                Field("likelihood", INT, minimum=1, maximum=5),
                Field("impact", INT, minimum=1, maximum=5),
                Field("mitigation", T),
                Field("contingency", T),
                Field("owner", R, ref="people"),
                Field("status", E, choices=RISK_STATUSES),
                Field("archived", B),
                *_CREATED,
            ),
            title_field="title",
            archivable=True,
        ),
    )
}

KIND_TO_COLLECTION: dict[str, str] = {c.kind: c.name for c in COLLECTIONS.values()}


def collection(name_or_kind: str) -> Collection:
    """Look a collection up by its name (``goals``) or its kind (``goal``)."""
    key = KIND_TO_COLLECTION.get(name_or_kind, name_or_kind)
    try:
        return COLLECTIONS[key]
    except KeyError:
        known = ", ".join(sorted(COLLECTIONS))
        raise KeyError(f"unknown record kind {name_or_kind!r}; known: {known}") from None


STRATEGY = Collection(
    "strategy",
    "strategy",
    (Field("vision", FieldType.TEXT), Field("mission", FieldType.TEXT)),
    title_field="vision",
)
"""The single strategy record (its ``values`` are the ``values`` collection)."""

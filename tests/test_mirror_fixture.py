"""A small workspace as Records (3-level goal tree, KPIs, check-ins, overdue tasks, risks,
priorities of 3 people), shared by the mirror and report tests, and checks of its tables.

Today is pinned to 2027-03-15 (``TODAY``); expectations below are computed by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from goaltui.mirror import Mirror, MirrorReader
from goaltui.model import clock
from goaltui.model.records import Record

NOW = "2027-03-15T12:00:00Z"


def r(collection: str, record_id: str, **data: object) -> Record:
    return Record(collection, record_id, data)


def fixture_records() -> list[Record]:
    """Every record of the fixture workspace."""
    return [
        r("strategy", "strategy", vision="Be the calmest ops team", mission="Ship | sleep"),
        r("values", "V1", name="Candour", description="Say it early"),
        r("people", "P1", name="Ana", team="TM1"),
        r("people", "P2", name="Ben", team="TM1"),
        r("people", "P3", name="Cy"),
        r("teams", "TM1", name="Platform", lead="P1"),
        r("cycles", "C1", name="2027 Q1", start="2027-01-01", end="2027-03-31", cadence="weekly"),
        r("cycles", "C2", name="2027 Q2", start="2027-04-01", end="2027-06-30", cadence="monthly"),
        r(
            "goals",
            "G1",
            title="Grow revenue",
            level="strategic",
            owner="P1",
            cycle="C1",
            status="active",
            due="2027-12-31",
            smart={
                "specific": "ARR",
                "measurable": "EUR",
                "achievable": "yes",
                "relevant": "core",
                "time_bound": "2027",
            },
        ),
        r(
            "goals",
            "G2",
            title="Launch EU",
            level="team",
            parent="G1",
            owner="P2",
            team="TM1",
            cycle="C1",
            status="active",
            due="2027-03-01",
        ),
        r(
            "goals",
            "G3",
            title="Hire two engineers",
            level="individual",
            parent="G2",
            owner="P3",
            cycle="C1",
            status="active",
            due="2027-06-30",
        ),
        r(
            "goals",
            "G4",
            title="Cut churn",
            level="team",
            parent="G1",
            owner="P1",
            cycle="C2",
            status="achieved",
            due="2027-02-01",
        ),
        r("goals", "G5", title="Old idea", archived=True, due="2027-01-01"),
        r(
            "kpis",
            "K1",
            goal="G2",
            name="EU signups",
            baseline=0.0,
            target=100.0,
            direction="increase",
            weight=2.0,
        ),
        r(
            "kpis",
            "K2",
            goal="G2",
            name="Support tickets",
            baseline=100.0,
            target=50.0,
            direction="decrease",
            weight=1.0,
        ),
        r("kpis", "K3", goal="G3", name="Offers accepted", baseline=0.0, target=2.0),
        r(
            "kpis",
            "K4",
            goal="G4",
            name="Churn rate",
            baseline=5.0,
            target=3.0,
            direction="decrease",
        ),
        r("kpis", "K5", goal="G1", name="ARR", baseline=0.0, target=10.0, archived=True),
        r("kpis", "K6", goal="G3", name="Interviews held", target=10.0),
        r(
            "checkins",
            "CI1",
            kpi="K1",
            at="2027-03-01T09:00:00Z",
            value=20.0,
            confidence=7,
            author="P2",
        ),
        r(
            "checkins",
            "CI2",
            kpi="K1",
            at="2027-03-08T09:00:00Z",
            value=35.0,
            confidence=6,
            author="P2",
        ),
        r(
            "checkins",
            "CI3",
            kpi="K1",
            at="2027-03-10T09:00:00Z",
            value=50.0,
            confidence=8,
            author="P2",
            status="on_track",
        ),
        r(
            "checkins",
            "CI4",
            kpi="K2",
            at="2027-02-01T09:00:00Z",
            value=90.0,
            confidence=4,
            status="at_risk",
        ),
        r("checkins", "CI5", kpi="K3", at="2027-03-14T09:00:00Z", value=1.0, confidence=5),
        r(
            "tasks",
            "T1",
            goal="G2",
            title="Draft EU terms",
            assignee="P2",
            status="doing",
            due="2027-03-10",
        ),
        r(
            "tasks",
            "T2",
            goal="G2",
            title="EU launch day",
            milestone=True,
            status="todo",
            due="2027-04-01",
        ),
        r(
            "tasks",
            "T3",
            goal="G3",
            title="Post job ad",
            assignee="P3",
            status="done",
            due="2027-02-01",
        ),
        r("tasks", "T4", title="Archived task", archived=True, due="2027-01-01"),
        r(
            "risks",
            "R1",
            goal="G2",
            title="Regulatory delay",
            likelihood=3,
            impact=4,
            mitigation="Early legal review",
            contingency="Launch in UK first",
            status="open",
            owner="P1",
        ),
        r("risks", "R2", goal="G3", title="No candidates", likelihood=3, impact=4),
        r("risks", "R3", title="Server outage", likelihood=2, impact=5, status="closed"),
        r("priorities", "PR1", person="P1", cycle="C1", ranking=["G2", "G3", "G4"]),
        r("priorities", "PR2", person="P2", cycle="C1", ranking=["G3", "G2", "G4"]),
        r("priorities", "PR3", person="P3", cycle="C1", ranking=["G4", "G2", "G3"]),
        r(
            "feedback",
            "F1",
            target="G2",
            author="P3",
            kind="concern",
            at="2027-03-12T10:00:00Z",
            text="Timeline too tight",
        ),
        r(
            "feedback",
            "F2",
            target="G1",
            author="P2",
            kind="praise",
            at="2027-03-02T10:00:00Z",
            text="Clear goal",
            resolved=True,
        ),
        r("agreements", "A1", goal="G2", person="P1", decision="agree", at="2027-01-05T10:00:00Z"),
        r(
            "agreements",
            "A2",
            goal="G2",
            person="P3",
            decision="object",
            note="Needs budget",
            at="2027-01-06T10:00:00Z",
        ),
        r(
            "reviews",
            "RV1",
            cycle="C1",
            author="P1",
            at="2027-03-31T10:00:00Z",
            score=0.7,
            outcome="Mostly there",
            lessons="Start hiring earlier",
            next_steps="Open two reqs",
        ),
        r(
            "reviews",
            "RV2",
            goal="G4",
            cycle="C1",
            author="P1",
            at="2027-03-30T10:00:00Z",
            score=1.0,
            outcome="Churn down to 3%",
        ),
        r("stakeholders", "S1", person="P2", goal="G2", role="responsible", needs="Legal help"),
        r(
            "resources",
            "RS1",
            goal="G2",
            kind="budget",
            amount=50000.0,
            unit="EUR",
            description="Launch budget",
        ),
    ]


# Hand-computed progress: K1 50/100, K2 (90-100)/(50-100), K3 1/2, G3 = K3 (K6 has none),
# G2 = (0.5*2 + 0.2*1 + 0.5) / 4, G4 none, G1 = G2 (K5 archived, G4 has none).
EXPECTED_PROGRESS = {
    "K1": 0.5,
    "K2": 0.2,
    "K3": 0.5,
    "K4": None,
    "K6": None,
    "G3": 0.5,
    "G2": 0.425,
    "G4": None,
    "G1": 0.425,
}


@pytest.fixture
def pinned_now() -> Iterator[None]:
    with clock.pinned(clock.parse_iso_instant(NOW)):  # type: ignore[arg-type]
        yield


@pytest.fixture
def mirror_path(tmp_path: Path, pinned_now: None) -> Iterator[Path]:
    path = tmp_path / "mirror.db"
    mirror = Mirror.open(path)
    mirror.rebuild(fixture_records(), "state-1")
    mirror.close()
    yield path


@pytest.fixture
def reader(mirror_path: Path) -> Iterator[MirrorReader]:
    with MirrorReader(mirror_path) as rd:
        yield rd


def test_every_record_lands_in_its_table(reader: MirrorReader) -> None:
    records = fixture_records()
    for rec in records:
        found = reader.get(rec.id)
        assert found is not None, rec.id
        collection, row = found
        assert collection == rec.collection
        for key, value in rec.data.items():
            assert row[key] == value, (rec.id, key)
    _names, rows = reader.query("SELECT count(*) FROM record_index")
    assert rows == [(len(records),)]


def test_values_and_strategy_tables(reader: MirrorReader) -> None:
    assert reader.query("SELECT id, name FROM strategy_values")[1] == [("V1", "Candour")]
    assert reader.strategy() == {"vision": "Be the calmest ops team", "mission": "Ship | sleep"}

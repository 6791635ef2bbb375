"""Markdown reports, CSV and iCalendar exports, read back and checked against the fixture."""

from __future__ import annotations

import csv
import io
import stat
import zipfile
from datetime import date
from pathlib import Path

import icalendar
import pytest

from goaltui.errors import NotFound
from goaltui.mirror import Mirror, MirrorReader
from goaltui.reports.csv_export import export_csv
from goaltui.reports.ics import fold, ics_calendar
from goaltui.reports.markdown import review_pack, status_report
from test_mirror_fixture import mirror_path, pinned_now, r, reader

__all__ = ["mirror_path", "pinned_now", "reader"]  # fixtures used by the tests below


def test_status_report_sections_and_facts(reader: MirrorReader) -> None:
    text = status_report(reader)
    for heading in ("# Status report", "## Strategy", "## Goals", "## Needs attention", "## Risks"):
        assert f"\n{heading}\n" in f"\n{text}"
    assert "**Vision:** Be the calmest ops team" in text
    assert "**Mission:** Ship \\| sleep" in text  # escaped for Markdown
    assert "- **Candour**: Say it early" in text
    # alignment order, archived goal left out
    order = [text.index(f"### {t}\n") for t in ("Grow revenue", "Cut churn", "Launch EU")]
    assert order == sorted(order)
    assert "Old idea" not in text
    assert "- Confidence: 4 → 7 → 6 → 8" in text
    assert "- Progress: `[#####-----]  50%`" in text
    assert "- Open objections: Cy" in text
    assert "- Decisions: Ana agree; Cy object (Needs budget)" in text
    assert "- Feedback, concern from Cy 2027-03-12: Timeline too tight" in text
    assert "- Overdue task **Draft EU terms**: due 2027-03-10, 5 days late (Ben)" in text
    assert "- At risk: KPI **Support tickets** (Launch EU)" in text
    assert "contingency: Launch in UK first" in text
    assert "| Regulatory delay | Launch EU | 3 | 4 | open | Ana |" in text
    assert "Server outage" not in text  # closed risk


def test_status_report_is_byte_identical_across_runs(reader: MirrorReader) -> None:
    assert status_report(reader) == status_report(reader)
    assert review_pack(reader, "C1") == review_pack(reader, "C1")


def test_status_report_filters(reader: MirrorReader) -> None:
    text = status_report(reader, cycle="2027 q2")
    assert text.splitlines()[2] == "Cycle: 2027 Q2 (2027-04-01 – 2027-06-30)"
    assert "### Cut churn" in text
    assert "### Launch EU" not in text
    team = status_report(reader, team="Platform")
    assert "### Launch EU" in team
    assert "### Grow revenue" not in team
    with pytest.raises(NotFound, match="known cycles: 2027 Q1, 2027 Q2"):
        status_report(reader, cycle="2030")


def test_review_pack(reader: MirrorReader) -> None:
    text = review_pack(reader, "2027 Q1")
    assert text.startswith("# Review pack: 2027 Q1\n")
    for heading in (
        "## Outcomes against targets",
        "## Scores",
        "## Lessons learned",
        "## Next steps",
    ):
        assert f"\n{heading}\n" in text
    assert "| cycle 2027 Q1 | 0.70 | Mostly there | Ana |" in text
    assert "- Start hiring earlier (cycle 2027 Q1)" in text
    assert "- Open two reqs (cycle 2027 Q1)" in text
    assert "  - EU signups: 50 → target 100 (baseline 0) `[#####-----]  50%`" in text


def test_markdown_escapes_user_text(tmp_path: Path, pinned_now: None) -> None:
    path = tmp_path / "m.db"
    mirror = Mirror.open(path)
    mirror.rebuild([r("goals", "G1", title="# [x](y) *bold* | pipe\nnext")], "s")
    mirror.close()
    with MirrorReader(path) as rd:
        text = status_report(rd)
    assert "### \\# \\[x\\](y) \\*bold\\* \\| pipe next" in text


def test_csv_directory_export(reader: MirrorReader, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    names = export_csv(reader, dest)
    assert "goals.csv" in names and "values.csv" in names and "strategy.csv" in names
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    goals_file = dest / "goals.csv"
    assert stat.S_IMODE(goals_file.stat().st_mode) == 0o600
    with goals_file.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [
        "id",
        "title",
        "description",
        "level",
        "parent",
        "team",
        "owner",
        "cycle",
        "status",
        "priority",
        "start",
        "due",
        "smart",
        "archived",
        "created_by",
        "created_at",
    ]
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_id) == {"G1", "G2", "G3", "G4", "G5"}  # archived included
    assert by_id["G5"]["archived"] == "true"
    assert by_id["G2"]["parent"] == "G1"
    assert '"time_bound": "2027"' in by_id["G1"]["smart"]
    with (dest / "priorities.csv").open(newline="") as fh:
        pr = {row["id"]: row for row in csv.DictReader(fh)}
    assert pr["PR1"]["ranking"] == '["G2", "G3", "G4"]'


def test_csv_zip_export_is_stable(reader: MirrorReader, tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    export_csv(reader, first)
    export_csv(reader, second)
    assert first.read_bytes() == second.read_bytes()
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    with zipfile.ZipFile(first) as zf:
        text = zf.read("kpis.csv").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["id"] for row in rows] == ["K1", "K2", "K3", "K4", "K5", "K6"]
    assert rows[0]["name"] == "EU signups"
    assert rows[0]["weight"] == "2"


def test_ics_parses_back_with_expected_events(reader: MirrorReader) -> None:
    text = ics_calendar(reader)
    assert text == ics_calendar(reader)
    assert all(line.endswith("\r") for line in text.split("\n")[:-1])
    cal = icalendar.Calendar.from_ical(text)
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {
        "T1@goaltui",
        "T2@goaltui",
        "T3@goaltui",
        "G1@goaltui",
        "G2@goaltui",
        "G3@goaltui",
        "G4@goaltui",
    }  # T4 and G5 are archived
    milestone = events["T2@goaltui"]
    assert str(milestone["SUMMARY"]) == "Milestone: EU launch day"
    assert milestone.decoded("DTSTART") == date(2027, 4, 1)
    assert milestone.decoded("DTEND") == date(2027, 4, 2)
    assert str(events["G2@goaltui"]["SUMMARY"]) == "Goal due: Launch EU"
    assert "Assignee: Ben" in str(events["T1@goaltui"]["DESCRIPTION"])


def test_ics_escapes_and_folds(tmp_path: Path, pinned_now: None) -> None:
    path = tmp_path / "m.db"
    title = "Plan; review, and ship\\now — " + "é" * 60
    mirror = Mirror.open(path)
    mirror.rebuild(
        [r("tasks", "T1", title=title, due="2027-05-01", created_at="2027-01-02T03:04:05Z")], "s"
    )
    mirror.close()
    with MirrorReader(path) as rd:
        text = ics_calendar(rd)
    assert "SUMMARY:Task due: Plan\\; review\\, and ship\\\\now" in text
    assert "DTSTAMP:20270102T030405Z" in text
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    event = next(iter(icalendar.Calendar.from_ical(text).walk("VEVENT")))
    assert str(event["SUMMARY"]) == f"Task due: {title}"


def test_fold_keeps_characters_whole() -> None:
    line = "SUMMARY:" + "€" * 40
    folded = fold(line)
    assert folded.replace("\r\n ", "") == line
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))

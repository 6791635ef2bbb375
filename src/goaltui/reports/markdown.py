"""Markdown reports for people who never open the TUI: the weekly status and the review pack.

Output is stable: everything sorted, nothing about the moment of the export itself,
so two runs on the same data are byte-identical (and diff well in a repository).
"""

from __future__ import annotations

from typing import Any

from goaltui.mirror.read import MirrorReader
from goaltui.reports.data import ReportData, Row, load, md, progress_bar

__all__ = ["review_pack", "status_report"]

_TREND_LENGTH = 5
_RECENT_FEEDBACK = 3


def status_report(
    reader: MirrorReader, *, cycle: str | None = None, team: str | None = None
) -> str:
    """Strategy, then each goal in alignment order with progress, confidence, people and risks.

    ``cycle`` and ``team`` (id or name) keep only the goals of that cycle or team.
    """
    data = load(reader)
    cycle_row = data.find("cycles", cycle) if cycle else None
    team_row = data.find("teams", team) if team else None
    goals = _aligned_goals(data, cycle_row, team_row)
    out = ["# Status report", ""]
    scope = [f"Cycle: {_cycle_label(cycle_row)}"] if cycle_row else []
    scope += [f"Team: {md(team_row.get('name') or team_row['id'])}"] if team_row else []
    if scope:
        out += [" · ".join(scope), ""]
    out += _strategy(reader)
    out += ["## Goals", ""]
    if not goals:
        out += ["No goals yet.", ""]
    for goal, path in goals:
        out += _goal_section(data, goal, path)
    out += _attention(data, {g["id"] for g, _ in goals})
    out += _risk_table(data, [g for g, _ in goals])
    return "\n".join(out).rstrip("\n") + "\n"


def review_pack(reader: MirrorReader, cycle: str) -> str:
    """End-of-cycle review: outcomes against targets, scores, lessons learned, next steps."""
    data = load(reader)
    cycle_row = data.find("cycles", cycle)
    goals = _aligned_goals(data, cycle_row, None)
    goal_ids = {g["id"] for g, _ in goals}
    reviews = [
        r
        for r in reader.list_records("reviews", order_by="at")
        if r.get("cycle") == cycle_row["id"] or r.get("goal") in goal_ids
    ]
    out = [f"# Review pack: {md(cycle_row.get('name') or cycle_row['id'])}", ""]
    out += [f"Cycle: {_cycle_label(cycle_row)}", "", "## Outcomes against targets", ""]
    if not goals:
        out += ["No goals in this cycle.", ""]
    for goal, path in goals:
        out += [f"### {md(goal.get('title'))}", ""]
        if " / " in path:
            out += [f"Aligned to: {md(path.rsplit(' / ', 1)[0])}", ""]
        out += [f"- Progress: {progress_bar(goal.get('progress'))}"]
        owner = md(data.name(goal.get("owner")))
        out += [f"- Status: {md(goal.get('status') or 'unset')} · Owner: {owner}"]
        out += [*_kpi_lines(data, goal["id"]), ""]
    out += _scores(data, reviews)
    for title, key in (("Lessons learned", "lessons"), ("Next steps", "next_steps")):
        items = [r for r in reviews if r.get(key)]
        out += [f"## {title}", ""]
        out += [f"- {md(r[key])} ({_review_subject(data, r)})" for r in items] or ["None recorded."]
        out += [""]
    return "\n".join(out).rstrip("\n") + "\n"


# --- sections -----------------------------------------------------------------------------


def _strategy(reader: MirrorReader) -> list[str]:
    strategy = reader.strategy()
    out = ["## Strategy", ""]
    out += [f"**Vision:** {md(strategy['vision']) or '(not set)'}", ""]
    out += [f"**Mission:** {md(strategy['mission']) or '(not set)'}", ""]
    values = reader.list_records("values", order_by="name")
    if values:
        out += ["**Values:**", ""]
        for value in values:
            text = f"- **{md(value.get('name'))}**"
            out += [text + (f": {md(value['description'])}" if value.get("description") else "")]
        out += [""]
    return out


def _goal_section(data: ReportData, goal: Row, path: str) -> list[str]:
    gid = goal["id"]
    out = [f"### {md(goal.get('title'))}", ""]
    if " / " in path:
        out += [f"Aligned to: {md(path.rsplit(' / ', 1)[0])}", ""]
    facts = [f"Status: {md(goal.get('status') or 'unset')}"]
    facts += [f"Level: {md(goal['level'])}"] if goal.get("level") else []
    facts += [f"Owner: {md(data.name(goal.get('owner')))}"]
    facts += [f"Due: {md(goal['due'])}"] if goal.get("due") else []
    out += [f"- Progress: {progress_bar(goal.get('progress'))}", "- " + " · ".join(facts)]
    trend = _confidence_trend(data, gid)
    if trend:
        out += [f"- Confidence: {trend}"]
    out += _kpi_lines(data, gid)
    out += _decisions(data, gid)
    out += _feedback(data, gid)
    for risk in sorted(data.of_goal("risks", gid), key=_risk_key):
        if risk.get("status") == "closed":
            continue
        line = f"- Risk: {md(risk.get('title'))} (likelihood {risk.get('likelihood') or '?'}"
        line += f", impact {risk.get('impact') or '?'})"
        if risk.get("contingency"):
            line += f"; contingency: {md(risk['contingency'])}"
        out += [line]
    return [*out, ""]


def _kpi_lines(data: ReportData, goal_id: str) -> list[str]:
    kpis = sorted(data.of_goal("kpis", goal_id), key=lambda k: (str(k.get("name")), k["id"]))
    if not kpis:
        return []
    out = ["- KPIs:"]
    for kpi in kpis:
        unit = f" {md(kpi['unit'])}" if kpi.get("unit") else ""
        current = "no check-in" if kpi.get("current") is None else _num(kpi["current"]) + unit
        target = "" if kpi.get("target") is None else f" → target {_num(kpi['target'])}{unit}"
        base = "" if kpi.get("baseline") is None else f" (baseline {_num(kpi['baseline'])})"
        bar = progress_bar(kpi.get("progress"))
        out += [f"  - {md(kpi.get('name'))}: {current}{target}{base} {bar}"]
    return out


def _decisions(data: ReportData, goal_id: str) -> list[str]:
    agreements = sorted(
        data.of_goal("agreements", goal_id), key=lambda a: (str(a.get("at") or ""), a["id"])
    )
    out = []
    if agreements:
        parts = []
        for a in agreements:
            note = f" ({md(a['note'])})" if a.get("note") else ""
            parts.append(f"{md(data.name(a.get('person')))} {md(a.get('decision'))}{note}")
        out += ["- Decisions: " + "; ".join(parts)]
    objecting = data.objections.get(goal_id, [])
    if objecting:
        out += ["- Open objections: " + ", ".join(md(data.name(p)) for p in objecting)]
    return out


def _feedback(data: ReportData, goal_id: str) -> list[str]:
    items = data.feedback_by_target.get(goal_id, [])[-_RECENT_FEEDBACK:]
    out = []
    for item in reversed(items):
        done = " (resolved)" if item.get("resolved") else ""
        when = str(item.get("at") or "")[:10]
        who = md(data.name(item.get("author")))
        kind = md(item.get("kind") or "comment")
        out += [f"- Feedback, {kind} from {who} {when}: {md(item.get('text'))}{done}"]
    return out


def _attention(data: ReportData, goal_ids: set[str]) -> list[str]:
    lines = []
    for row in data.reader.view("overdue"):
        if row["goal"] not in goal_ids:
            continue
        who = f" ({md(data.name(row['owner']))})" if row.get("owner") else ""
        lines.append(
            f"- Overdue {row['kind']} **{md(row['title'])}**: due {row['due']}, "
            f"{row['days_overdue']} days late{who}"
        )
    for goal_id in sorted(goal_ids, key=lambda g: (str(data.goals[g].get("title")), g)):
        for kpi in sorted(data.of_goal("kpis", goal_id), key=lambda k: k["id"]):
            latest = [c for c in data.checkins_by_kpi.get(kpi["id"], []) if c.get("status")]
            if latest and latest[-1]["status"] in ("at_risk", "off_track"):
                status = latest[-1]["status"].replace("_", " ")
                lines.append(
                    f"- {status.capitalize()}: KPI **{md(kpi.get('name'))}** "
                    f"({md(data.goals[goal_id].get('title'))})"
                )
    for row in data.reader.view("stale_checkins"):
        if row["goal"] not in goal_ids:
            continue
        since = (
            "never checked in"
            if row["last_checkin"] is None
            else (f"last check-in {row['days_since']} days ago")
        )
        lines.append(
            f"- Stale: KPI **{md(row['name'])}** ({md(row['goal_title'])}): {since}, "
            f"expected every {row['cadence_days']} days"
        )
    return ["## Needs attention", "", *(lines or ["Nothing overdue, at risk or stale."]), ""]


def _risk_table(data: ReportData, goals: list[Row]) -> list[str]:
    risks = [
        (goal, risk)
        for goal in goals
        for risk in data.of_goal("risks", goal["id"])
        if risk.get("status") != "closed"
    ]
    out = ["## Risks", ""]
    if not risks:
        return [*out, "No open risks.", ""]
    out += [
        "| Risk | Goal | Likelihood | Impact | Status | Owner | Mitigation | Contingency |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for goal, risk in sorted(risks, key=lambda gr: _risk_key(gr[1])):
        cells = [
            risk.get("title"),
            goal.get("title"),
            risk.get("likelihood"),
            risk.get("impact"),
            risk.get("status") or "open",
            data.name(risk.get("owner")) if risk.get("owner") else "",
            risk.get("mitigation"),
            risk.get("contingency"),
        ]
        out += ["| " + " | ".join(md(c) for c in cells) + " |"]
    return [*out, ""]


def _scores(data: ReportData, reviews: list[Row]) -> list[str]:
    out = ["## Scores", ""]
    scored = [r for r in reviews if r.get("score") is not None or r.get("outcome")]
    if not scored:
        return [*out, "No reviews recorded.", ""]
    out += ["| Subject | Score | Outcome | Author |", "|---|---|---|---|"]
    for review in scored:
        score = "" if review.get("score") is None else f"{review['score']:.2f}"
        cells = [
            _review_subject(data, review),
            score,
            md(review.get("outcome")),
            md(data.name(review.get("author"))),
        ]
        out += ["| " + " | ".join(cells) + " |"]
    return [*out, ""]


# --- helpers ------------------------------------------------------------------------------


def _aligned_goals(data: ReportData, cycle: Row | None, team: Row | None) -> list[tuple[Row, str]]:
    """Live goals in alignment order (depth first), with their path, filtered."""
    out = []
    for row in data.reader.view("alignment"):
        goal = data.goals.get(row["id"])
        if goal is None:
            continue
        if cycle is not None and goal.get("cycle") != cycle["id"]:
            continue
        if team is not None and goal.get("team") != team["id"]:
            continue
        out.append((goal, str(row["path"])))
    return out


def _confidence_trend(data: ReportData, goal_id: str) -> str:
    checkins = list(data.checkins_by_kpi.get(goal_id, []))
    for kpi in data.of_goal("kpis", goal_id):
        checkins += data.checkins_by_kpi.get(kpi["id"], [])
    checkins.sort(key=lambda c: (str(c.get("at") or ""), c["id"]))
    levels = [str(c["confidence"]) for c in checkins if c.get("confidence") is not None]
    return " → ".join(levels[-_TREND_LENGTH:])


def _cycle_label(cycle: Row) -> str:
    name = md(cycle.get("name") or cycle["id"])
    if cycle.get("start") or cycle.get("end"):
        return f"{name} ({cycle.get('start') or '?'} – {cycle.get('end') or '?'})"
    return name


def _review_subject(data: ReportData, review: Row) -> str:
    goal = data.goals.get(review.get("goal") or "")
    if goal is not None:
        return f"goal {md(goal.get('title'))}"
    cycle = data.cycles.get(review.get("cycle") or "")
    return f"cycle {md(cycle.get('name') if cycle else review.get('cycle'))}"


def _risk_key(risk: Row) -> tuple[int, str, str]:
    def level(key: str) -> int:
        value = risk.get(key)
        return value if isinstance(value, int) else 0

    return (-level("likelihood") * level("impact"), str(risk.get("title")), risk["id"])


def _num(value: Any) -> str:
    """A number without a spurious ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

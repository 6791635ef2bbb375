"""The sections of the goal detail screen as Rich Text, built from mirror rows.

Plain ``Text`` objects throughout: user text is never parsed as markup.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from goaltui.insight import goal_facts
from goaltui.mirror.read import MirrorReader
from goaltui.model.dates import today
from goaltui.tui.data import names_of
from goaltui.tui.render import bar, sparkline, status_mark

__all__ = ["GoalSections", "goal_sections"]

GoalSections = dict[str, Text]
_DECISIONS = {"agree": "✓ agrees", "object": "✗ objects", "abstain": "– abstains"}


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _line(text: Text, *parts: tuple[str, str] | str) -> None:
    for part in parts:
        if isinstance(part, tuple):
            text.append(part[0], style=part[1])
        else:
            text.append(part)
    text.append("\n")


def goal_sections(reader: MirrorReader, goal_id: str) -> GoalSections | None:
    """Every section of one goal's detail, or None when the goal does not exist."""
    found = reader.get(goal_id)
    if found is None or found[0] != "goals":
        return None
    goal = found[1]
    rel: dict[str, object] = {"goal": goal_id}
    kpis = reader.list_records("kpis", where=rel, order_by="name")
    tasks = reader.list_records("tasks", where=rel, order_by="due")
    resources = reader.list_records("resources", where=rel)
    stakeholders = reader.list_records("stakeholders", where=rel, order_by="role")
    agreements = reader.list_records("agreements", where=rel, order_by="at")
    risks = reader.list_records("risks", where=rel, order_by="-impact")
    feedback = reader.list_records("feedback", where={"target": goal_id}, order_by="at")
    checkins = reader.list_records(
        "checkins", where={"kpi": [k["id"] for k in kpis]}, order_by="at"
    )
    people = {goal.get("owner"), *(t.get("assignee") for t in tasks)}
    people |= {r.get("person") for r in resources} | {s.get("person") for s in stakeholders}
    people |= {a.get("person") for a in agreements} | {f.get("author") for f in feedback}
    people |= {r.get("owner") for r in risks} | {k.get("owner") for k in kpis}
    names = names_of(reader, people)
    teams = names_of(reader, [goal.get("team")], "teams")
    cycles = names_of(reader, [goal.get("cycle")], "cycles")
    parent = names_of(reader, [goal.get("parent")], "goals")
    facts = goal_facts(reader, goal_id)

    def who(pid: Any) -> str:
        return names.get(str(pid), str(pid or "—"))

    return {
        "summary": _summary(goal, who, teams, cycles, parent),
        "description": Text(str(goal.get("description") or "(no description)")),
        "smart": _smart(facts),
        "kpis": _kpis(kpis, checkins, who),
        "tasks": _tasks(tasks, who),
        "resources": _resources(resources, who),
        "stakeholders": _stakeholders(stakeholders, who),
        "agreements": _agreements(agreements, who),
        "risks": _risks(risks, who),
        "feedback": _feedback(feedback, who),
    }


def _summary(
    goal: dict[str, Any],
    who: Any,
    teams: dict[str, str],
    cycles: dict[str, str],
    parent: dict[str, str],
) -> Text:
    text = Text()
    _line(text, (f"{status_mark(goal.get('status'))} {goal.get('title') or ''}", "bold"))
    _line(
        text,
        f"{goal.get('level') or 'no level'} · {goal.get('status') or 'no status'} · owner ",
        who(goal.get("owner")),
        f" · team {teams.get(str(goal.get('team')), '—')} · cycle "
        f"{cycles.get(str(goal.get('cycle')), '—')} · due {goal.get('due') or '—'}",
    )
    _line(text, "under: ", parent.get(str(goal.get("parent")), "(top level)"))
    text.append("progress ")
    text.append_text(bar(goal.get("progress"), 20))
    return text


def _smart(facts: dict[str, Any]) -> Text:
    text = Text()
    check = facts.get("smart_check") or {}
    for name, crit in (check.get("criteria") or {}).items():
        mark = "✓" if crit.get("met") else "✗"
        _line(text, (f"{mark} {name.replace('_', '-'):<11}", "bold"), f" {crit.get('reason')}")
    for warning in facts.get("warnings") or []:
        _line(text, ("⚠ ", "bold"), str(warning.get("message")))
    if not facts.get("warnings"):
        _line(text, "✓ no warnings")
    return text


def _kpis(kpis: list[dict[str, Any]], checkins: list[dict[str, Any]], who: Any) -> Text:
    text = Text()
    if not kpis:
        return Text("(no KPI — press k to add one)")
    series: dict[str, list[dict[str, Any]]] = {}
    for c in checkins:
        series.setdefault(str(c.get("kpi")), []).append(c)
    for k in kpis:
        unit = f" {k['unit']}" if k.get("unit") else ""
        text.append(f"{k.get('name')}", style="bold")
        text.append(
            f"  {_num(k.get('baseline'))} → {_num(k.get('target'))}{unit}"
            f" ({k.get('direction') or 'increase'}) · now {_num(k.get('current'))}{unit} · "
            f"owner {who(k.get('owner'))}\n  "
        )
        text.append_text(bar(k.get("progress"), 20))
        history = series.get(str(k["id"]), [])
        values = [c.get("value") for c in history][-30:]
        if values:
            text.append(f"  {sparkline(values)}  ({len(history)} check-ins)")
        text.append("\n")
        if history:
            last = history[-1]
            text.append(
                f"  last {str(last.get('at') or '')[:10]} {status_mark(last.get('status'))} "
                f"{last.get('status') or ''} · confidence {_num(last.get('confidence'))}/10"
            )
            if last.get("note"):
                text.append(f" · {last.get('note')}")
            text.append("\n")
    return text


def _tasks(tasks: list[dict[str, Any]], who: Any) -> Text:
    if not tasks:
        return Text("(no tasks — press t to add one)")
    text = Text()
    day = today()
    for t in tasks:
        late = t.get("due") and str(t["due"]) < day and t.get("status") != "done"
        kind = "◆" if t.get("milestone") else status_mark(t.get("status") or "todo")
        _line(
            text,
            f"{kind} ",
            (str(t.get("title") or ""), "bold" if t.get("milestone") else ""),
            f" · {t.get('status') or 'todo'} · {who(t.get('assignee'))}",
            f" · due {t.get('due') or '—'}",
            ("  ! overdue", "bold") if late else "",
        )
    return text


def _resources(rows: list[dict[str, Any]], who: Any) -> Text:
    if not rows:
        return Text("(no resources)")
    text = Text()
    for r in rows:
        amount = f"{_num(r.get('amount'))} {r.get('unit') or ''}".strip()
        person = f" · {who(r.get('person'))}" if r.get("person") else ""
        _line(text, f"{r.get('kind') or 'other'}: {amount}{person} — {r.get('description') or ''}")
    return text


def _stakeholders(rows: list[dict[str, Any]], who: Any) -> Text:
    if not rows:
        return Text("(no stakeholders)")
    text = Text()
    for s in rows:
        needs = f" — needs: {s['needs']}" if s.get("needs") else ""
        _line(text, (who(s.get("person")), "bold"), f" · {s.get('role') or '—'}{needs}")
    return text


def _agreements(rows: list[dict[str, Any]], who: Any) -> Text:
    if not rows:
        return Text("(no decisions yet — y agrees, o objects)")
    text = Text()
    for a in rows:
        note = f" — {a['note']}" if a.get("note") else ""
        _line(
            text,
            (who(a.get("person")), "bold"),
            f" {_DECISIONS.get(str(a.get('decision')), str(a.get('decision')))}"
            f" ({str(a.get('at') or '')[:10]}){note}",
        )
    return text


def _risks(rows: list[dict[str, Any]], who: Any) -> Text:
    if not rows:
        return Text("(no risks — press r to add one)")
    text = Text()
    for r in rows:
        score = f"L{_num(r.get('likelihood'))}×I{_num(r.get('impact'))}"
        _line(
            text,
            (f"{score} {r.get('title') or ''}", "bold"),
            f" · {r.get('status') or 'open'} · {who(r.get('owner'))}",
        )
        if r.get("mitigation"):
            _line(text, f"  mitigation: {r['mitigation']}")
        if r.get("contingency"):
            _line(text, f"  contingency: {r['contingency']}")
    return text


def _feedback(rows: list[dict[str, Any]], who: Any) -> Text:
    if not rows:
        return Text("(no feedback — press f to give some)")
    text = Text()
    for f in rows:
        done = " ✓ resolved" if f.get("resolved") else ""
        _line(
            text,
            (f"{who(f.get('author'))} · {f.get('kind') or 'comment'}", "bold"),
            f" ({str(f.get('at') or '')[:10]}){done}",
        )
        _line(text, f"  {f.get('text') or ''}")
    return text


def history_text(entries: list[dict[str, Any]], names: dict[str, str]) -> Text:
    """The goal's change history, newest first."""
    if not entries:
        return Text("(no history)")
    text = Text()
    for e in reversed(entries):
        who = names.get(str(e.get("who")), str(e.get("who") or "someone"))
        when = str(e.get("at") or "")[:16].replace("T", " ")
        _line(text, f"{when} {who}: {e.get('summary') or e.get('action')}")
    text.rstrip()
    return text

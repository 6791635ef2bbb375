"""The records of a synthetic workspace, as a ``goaltui-export-1`` dict.

The mix (of N records in all): people ~2%, a few teams, cycles and values, goals ~20% in
a three-level tree (strategic → team → individual), KPIs ~20%, check-ins ~25%, tasks
~25%, and the rest risks, feedback, stakeholders, resources, agreements, reviews and
priority rankings. Long free text (descriptions, notes, needs) is present on a realistic
share of records, since Text is what makes Automerge documents big; its words follow a
Zipf law over pseudo-words so that it compresses about as well as prose.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from typing import Any

__all__ = ["ORDER", "build_export", "counts_for"]

ORDER = (
    "values",
    "cycles",
    "teams",
    "people",
    "goals",
    "kpis",
    "checkins",
    "tasks",
    "resources",
    "stakeholders",
    "agreements",
    "priorities",
    "feedback",
    "reviews",
    "risks",
)
_REST_SHARES = {
    "risks": 0.28,
    "feedback": 0.25,
    "stakeholders": 0.2,
    "resources": 0.1,
    "agreements": 0.1,
    "reviews": 0.05,
    "priorities": 0.02,
}
_SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ren",
    "tas",
    "vel",
    "do",
    "ri",
    "pan",
    "sto",
    "bel",
    "qu",
    "an",
    "ter",
    "mo",
    "lis",
    "gra",
    "fen",
    "u",
    "ox",
    "pri",
    "da",
    "nor",
    "ce",
    "hal",
    "wy",
)


def _vocabulary(size: int = 5000, seed: int = 20260105) -> tuple[tuple[str, ...], list[float]]:
    """Pseudo-words with Zipf-like frequencies: text that compresses about as well as prose."""
    rng = random.Random(seed)
    words = tuple(
        "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(size)
    )
    cumulative, total = [], 0.0
    for rank in range(size):
        total += 1.0 / (rank + 1)
        cumulative.append(total)
    return words, cumulative


_WORDS, _CUMULATIVE = _vocabulary()
_EPOCH = date(2026, 1, 5)


def counts_for(n_records: int) -> dict[str, int]:
    """How many records of each collection make up ``n_records`` (summing to exactly it)."""
    n = max(n_records, 40)
    counts = {
        "values": 5,
        "cycles": max(2, round(n * 0.0005)),
        "teams": max(2, round(n * 0.004)),
        "people": max(3, round(n * 0.02)),
        "goals": round(n * 0.20),
        "kpis": round(n * 0.20),
        "checkins": round(n * 0.25),
        "tasks": round(n * 0.25),
    }
    rest = n - sum(counts.values())
    for name, share in _REST_SHARES.items():
        counts[name] = int(rest * share)
    counts["risks"] += n - sum(counts.values())
    return counts


class _Maker:
    """Builds the records of one workspace from a seeded random source."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ids: dict[str, list[str]] = {}
        self.clock = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

    def new_ids(self, name: str, count: int) -> list[str]:
        from goaltui.workspace.ids import new_id

        made = [new_id() for _ in range(count)]
        self.ids[name] = made
        return made

    def words(self, low: int, high: int) -> str:
        count = self.rng.randint(low, high)
        return " ".join(self.rng.choices(_WORDS, cum_weights=_CUMULATIVE, k=count))

    def sentence(self, low: int, high: int) -> str:
        return self.words(low, high).capitalize() + "."

    def pick(self, name: str) -> str:
        return self.rng.choice(self.ids[name])

    def day(self, spread: int = 540) -> str:
        return (_EPOCH + timedelta(days=self.rng.randint(0, spread))).isoformat()

    def instant(self) -> str:
        moment = self.clock + timedelta(minutes=self.rng.randint(0, 60 * 24 * 400))
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def maybe(self, share: float, value: Any) -> Any:
        return value if self.rng.random() < share else None


def _organisation(m: _Maker, counts: dict[str, int]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    out["values"] = {
        vid: {"name": m.words(1, 2).title(), "description": m.sentence(6, 12)}
        for vid in m.new_ids("values", counts["values"])
    }
    cycles = m.new_ids("cycles", counts["cycles"])
    out["cycles"] = {}
    for i, cid in enumerate(cycles):
        start = _EPOCH + timedelta(days=91 * i)
        out["cycles"][cid] = {
            "name": f"Q{i % 4 + 1} {start.year + i // 4}",
            "start": start.isoformat(),
            "end": (start + timedelta(days=90)).isoformat(),
            "cadence": "biweekly",
        }
    teams = m.new_ids("teams", counts["teams"])
    out["teams"] = {
        tid: {"name": f"Team {m.words(1, 1).title()} {i}", "parent": teams[0] if i else None}
        for i, tid in enumerate(teams)
    }
    out["people"] = {
        pid: {
            "name": f"Person {i}",
            "handle": f"p{i}",
            "email": f"p{i}@example.org",
            "team": m.pick("teams"),
        }
        for i, pid in enumerate(m.new_ids("people", counts["people"]))
    }
    for tid in teams:
        out["teams"][tid]["lead"] = m.pick("people")
    return out


def _goal(m: _Maker, level: str, parent: str | None) -> dict[str, Any]:
    start = m.day(300)
    goal: dict[str, Any] = {
        "title": m.words(2, 6).capitalize(),
        "level": level,
        "parent": parent,
        "team": m.pick("teams"),
        "owner": m.pick("people"),
        "cycle": m.pick("cycles"),
        "status": m.rng.choice(("active", "active", "active", "proposed", "draft", "achieved")),
        "priority": m.rng.randint(0, 100),
        "start": start,
        "due": (date.fromisoformat(start) + timedelta(days=m.rng.randint(30, 240))).isoformat(),
        "created_at": m.instant(),
    }
    if level != "individual":
        goal["description"] = m.sentence(8, 18)
        goal["smart"] = {
            c: m.sentence(3, 6)
            for c in ("specific", "measurable", "achievable", "relevant", "time_bound")
        }
    return goal


def _goals(m: _Maker, count: int) -> dict[str, dict[str, Any]]:
    ids = m.new_ids("goals", count)
    n_strategic = max(1, round(count * 0.05))
    n_team = max(1, round(count * 0.30))
    out: dict[str, dict[str, Any]] = {}
    for i, gid in enumerate(ids):
        if i < n_strategic:
            out[gid] = _goal(m, "strategic", None)
        elif i < n_strategic + n_team:
            out[gid] = _goal(m, "team", m.rng.choice(ids[:n_strategic]))
        else:
            out[gid] = _goal(m, "individual", m.rng.choice(ids[n_strategic : n_strategic + n_team]))
    return out


def _measures(m: _Maker, counts: dict[str, int]) -> dict[str, dict[str, dict[str, Any]]]:
    kpis: dict[str, dict[str, Any]] = {}
    for kid in m.new_ids("kpis", counts["kpis"]):
        baseline = float(m.rng.randint(0, 100))
        kpis[kid] = {
            "goal": m.pick("goals"),
            "name": m.words(2, 4).capitalize(),
            "unit": "%",
            "baseline": baseline,
            "target": baseline + m.rng.randint(10, 100),
            "direction": "increase",
            "weight": 1.0,
            "owner": m.pick("people"),
        }
    checkins: dict[str, dict[str, Any]] = {}
    for cid in m.new_ids("checkins", counts["checkins"]):
        kid = m.pick("kpis")
        checkins[cid] = {
            "kpi": kid,
            "author": m.pick("people"),
            "at": m.instant(),
            "value": kpis[kid]["baseline"] + m.rng.randint(0, 120),
            "confidence": m.rng.randint(0, 10),
            "status": m.rng.choice(("on_track", "on_track", "at_risk", "off_track")),
            "note": m.maybe(0.2, m.sentence(4, 10)),
        }
    return {"kpis": kpis, "checkins": checkins}


def _tasks(m: _Maker, count: int) -> dict[str, dict[str, Any]]:
    ids = m.new_ids("tasks", count)
    out: dict[str, dict[str, Any]] = {}
    for i, tid in enumerate(ids):
        out[tid] = {
            "goal": m.pick("goals"),
            "title": m.words(3, 7).capitalize(),
            "assignee": m.pick("people"),
            "status": m.rng.choice(("todo", "todo", "doing", "blocked", "done")),
            "due": m.day(),
            "milestone": m.maybe(0.05, True),
            "depends_on": [ids[m.rng.randrange(i)]] if i and m.rng.random() < 0.1 else None,
        }
    return out


def _rest(m: _Maker, counts: dict[str, int]) -> dict[str, dict[str, dict[str, Any]]]:
    rng = m.rng
    out: dict[str, dict[str, dict[str, Any]]] = {}
    out["resources"] = {
        rid: {
            "goal": m.pick("goals"),
            "kind": rng.choice(("budget", "personnel", "technology")),
            "description": m.sentence(3, 8),
            "amount": float(rng.randint(1, 50) * 1000),
            "unit": "EUR",
        }
        for rid in m.new_ids("resources", counts["resources"])
    }
    out["stakeholders"] = {
        sid: {
            "person": m.pick("people"),
            "goal": m.pick("goals"),
            "role": rng.choice(("responsible", "accountable", "consulted", "informed")),
            "needs": m.maybe(0.3, m.sentence(5, 12)),
        }
        for sid in m.new_ids("stakeholders", counts["stakeholders"])
    }
    out["agreements"] = {
        aid: {
            "goal": m.pick("goals"),
            "person": m.pick("people"),
            "decision": rng.choice(("agree", "agree", "agree", "object", "abstain")),
            "at": m.instant(),
        }
        for aid in m.new_ids("agreements", counts["agreements"])
    }
    out["priorities"] = {
        pid: {
            "person": m.pick("people"),
            "cycle": m.pick("cycles"),
            "ranking": rng.sample(m.ids["goals"], min(5, len(m.ids["goals"]))),
            "at": m.instant(),
        }
        for pid in m.new_ids("priorities", counts["priorities"])
    }
    out["feedback"] = {
        fid: {
            "target": m.pick("goals"),
            "author": m.pick("people"),
            "at": m.instant(),
            "kind": rng.choice(("comment", "concern", "suggestion", "praise")),
            "text": m.sentence(5, 15),
        }
        for fid in m.new_ids("feedback", counts["feedback"])
    }
    out["reviews"] = {
        rid: {
            "goal": m.pick("goals"),
            "author": m.pick("people"),
            "at": m.instant(),
            "score": round(rng.random(), 2),
            "outcome": m.sentence(5, 12),
        }
        for rid in m.new_ids("reviews", counts["reviews"])
    }
    out["risks"] = {
        rid: {
            "goal": m.pick("goals"),
            "title": m.words(3, 6).capitalize(),
            "likelihood": rng.randint(1, 5),
            "impact": rng.randint(1, 5),
            "mitigation": m.maybe(0.5, m.sentence(4, 10)),
            "owner": m.pick("people"),
            "status": rng.choice(("open", "open", "mitigating", "closed")),
        }
        for rid in m.new_ids("risks", counts["risks"])
    }
    return out


def _drop_nones(records: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {rid: {k: v for k, v in r.items() if v is not None} for rid, r in records.items()}


def build_export(n_records: int, seed: int = 0) -> dict[str, Any]:
    """The whole workspace as a ``goaltui-export-1`` dict (collections in creation order)."""
    from goaltui.workspace.exchange import FORMAT

    counts = counts_for(n_records)
    m = _Maker(seed)
    parts = _organisation(m, counts)
    parts["goals"] = _goals(m, counts["goals"])
    parts.update(_measures(m, counts))
    parts["tasks"] = _tasks(m, counts["tasks"])
    parts.update(_rest(m, counts))
    data: dict[str, Any] = {
        "format": FORMAT,
        "strategy": {
            "vision": "Every team knows why its work matters.",
            "mission": "Set goals together, measure honestly, adjust early.",
        },
    }
    for name in ORDER:
        data[name] = _drop_nones(parts[name])
    return data

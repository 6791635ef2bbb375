"""The mirror's SQL views: the questions managers ask, answered in plain SQL.

Each view is documented in docs/sql.md. "Today" is the local date unless the
model's clock was pinned (``GOALTUI_NOW``) when the mirror was last written: then the
pinned date is stored in ``mirror_meta`` under ``today`` so that tests are reproducible.
"""

from __future__ import annotations

__all__ = ["CADENCE_DAYS", "TODAY_SQL", "VIEWS"]

TODAY_SQL = (
    "coalesce((SELECT value FROM mirror_meta WHERE key = 'today'), date('now', 'localtime'))"
)

CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 31, "quarterly": 92}
"""Days between check-ins per cycle cadence; no cadence counts as 14."""

_NOT_ARCHIVED = "coalesce({t}.archived, 0) = 0"

_CADENCE_CASE = (
    "CASE c.cadence "
    + " ".join(f"WHEN '{name}' THEN {days}" for name, days in CADENCE_DAYS.items())
    + " ELSE 14 END"
)

GOAL_PROGRESS = f"""CREATE VIEW goal_progress AS
SELECT g.id, g.title, g.owner, p.name AS owner_name, g.team, g.cycle, g.level, g.status,
       g.due, g.progress,
       (SELECT count(*) FROM kpis k
         WHERE k.goal = g.id AND {_NOT_ARCHIVED.format(t="k")}) AS kpi_count
  FROM goals g LEFT JOIN people p ON p.id = g.owner
 WHERE {_NOT_ARCHIVED.format(t="g")}"""

ALIGNMENT = f"""CREATE VIEW alignment AS
WITH RECURSIVE live(id, title, level, parent, progress, key) AS (
  SELECT id, title, level, parent, progress,
         CASE level WHEN 'strategic' THEN '0' WHEN 'team' THEN '1'
                    WHEN 'individual' THEN '2' ELSE '3' END
         || coalesce(title, '') || char(30) || id
    FROM goals g
   WHERE {_NOT_ARCHIVED.format(t="g")}
), up(start, node, depth) AS (
  SELECT id, parent, 1 FROM live WHERE parent IS NOT NULL
  UNION ALL
  SELECT u.start, l.parent, u.depth + 1
    FROM up u JOIN live l ON l.id = u.node
   WHERE u.node <> u.start AND l.parent IS NOT NULL AND u.depth < 64
), looped(id) AS (
  SELECT DISTINCT start FROM up WHERE node = start
), tree(id, title, level, depth, path, parent, progress, sort_key) AS (
  SELECT id, title, level, 0, coalesce(title, ''), parent, progress, key
    FROM live
   WHERE parent IS NULL OR parent NOT IN (SELECT id FROM live)
      OR id IN (SELECT id FROM looped)
  UNION ALL
  SELECT l.id, l.title, l.level, t.depth + 1, t.path || ' / ' || coalesce(l.title, ''),
         l.parent, l.progress, t.sort_key || char(31) || l.key
    FROM live l JOIN tree t ON l.parent = t.id
   WHERE t.depth < 64 AND l.id NOT IN (SELECT id FROM looped)
)
SELECT id, title, level, depth, path, parent, progress FROM tree ORDER BY sort_key"""

OVERDUE = f"""CREATE VIEW overdue AS
SELECT 'task' AS kind, t.id AS id, t.title AS title, t.due AS due,
       t.assignee AS owner, p.name AS owner_name,
       t.goal, CAST(julianday({TODAY_SQL}) - julianday(t.due) AS INTEGER) AS days_overdue
  FROM tasks t LEFT JOIN people p ON p.id = t.assignee
 WHERE t.due IS NOT NULL AND t.due < {TODAY_SQL}
   AND coalesce(t.status, 'todo') <> 'done' AND {_NOT_ARCHIVED.format(t="t")}
UNION ALL
SELECT 'goal', g.id, g.title, g.due, g.owner, p.name, g.id,
       CAST(julianday({TODAY_SQL}) - julianday(g.due) AS INTEGER)
  FROM goals g LEFT JOIN people p ON p.id = g.owner
 WHERE g.due IS NOT NULL AND g.due < {TODAY_SQL}
   AND coalesce(g.status, 'draft') NOT IN ('achieved', 'missed', 'dropped')
   AND {_NOT_ARCHIVED.format(t="g")}
 ORDER BY days_overdue DESC, kind, id"""

_AGE = f"CAST(julianday({TODAY_SQL}) - julianday(date({{col}})) AS INTEGER)"

STALE_CHECKINS = f"""CREATE VIEW stale_checkins AS
SELECT k.id, k.name, k.goal, g.title AS goal_title, coalesce(k.owner, g.owner) AS owner,
       g.cycle, c.cadence, {_CADENCE_CASE} AS cadence_days, k.last_checkin_at AS last_checkin,
       {_AGE.format(col="k.last_checkin_at")} AS days_since
  FROM kpis k
  JOIN goals g ON g.id = k.goal
  LEFT JOIN cycles c ON c.id = g.cycle AND coalesce(c.archived, 0) = 0
 WHERE {_NOT_ARCHIVED.format(t="k")} AND {_NOT_ARCHIVED.format(t="g")}
   AND coalesce(g.status, 'draft') NOT IN ('achieved', 'missed', 'dropped')
   AND CASE WHEN k.last_checkin_at IS NOT NULL
            THEN {_AGE.format(col="k.last_checkin_at")} > {_CADENCE_CASE}
            ELSE g.status = 'active' AND (k.created_at IS NULL
                 OR {_AGE.format(col="k.created_at")} > {_CADENCE_CASE}) END
 ORDER BY days_since IS NOT NULL, days_since DESC, k.id"""

RISK_MATRIX = f"""CREATE VIEW risk_matrix AS
SELECT likelihood, impact, count(*) AS count, group_concat(title, '; ') AS titles
  FROM (SELECT r.likelihood, r.impact, r.title FROM risks r
         WHERE {_NOT_ARCHIVED.format(t="r")}
           AND coalesce(r.status, 'open') NOT IN ('closed')
         ORDER BY r.title, r.id)
 GROUP BY likelihood, impact
 ORDER BY likelihood * impact DESC, likelihood DESC, impact DESC"""

PRIORITY_DIVERGENCE = """CREATE VIEW priority_divergence AS
SELECT pr.cycle, CAST(j.value AS TEXT) AS goal, g.title,
       count(DISTINCT pr.person) AS rankers,
       min(j.key + 1) AS min_rank, max(j.key + 1) AS max_rank,
       round(avg(j.key + 1), 2) AS avg_rank,
       max(j.key + 1) - min(j.key + 1) AS spread
  FROM priorities pr, json_each(CASE WHEN json_valid(pr.ranking) THEN pr.ranking
                                     ELSE '[]' END) j
  LEFT JOIN goals g ON g.id = j.value
 GROUP BY pr.cycle, j.value
 ORDER BY spread DESC, avg_rank, goal"""

VIEWS: tuple[tuple[str, str], ...] = (
    ("goal_progress", GOAL_PROGRESS),
    ("alignment", ALIGNMENT),
    ("overdue", OVERDUE),
    ("stale_checkins", STALE_CHECKINS),
    ("risk_matrix", RISK_MATRIX),
    ("priority_divergence", PRIORITY_DIVERGENCE),
)
"""(name, CREATE VIEW statement) of every view, in creation order."""

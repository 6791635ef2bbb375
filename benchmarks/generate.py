"""Synthetic workspaces of N records, shaped like a real team's, for the benchmarks.

What they hold is decided in ``synthetic.py``. Small workspaces go through
``Workspace.add`` one record at a time (the public path every edit takes, one
transaction each); large ones through the bulk ``exchange.import_data`` (one
transaction for all). Either way the workspace is then compacted, so every benchmark
starts from a snapshot and an up-to-date mirror. Each is cached by size and build.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.synthetic import ORDER, build_export
from goaltui.paths import WorkspacePaths

__all__ = [
    "ADD_LIMIT",
    "BUILDS",
    "Generated",
    "cached_workspace",
    "generate_workspace",
    "uses_add",
]

GENERATOR_VERSION = 2  # bump when the generated content changes: old caches are ignored
ADD_LIMIT = 1000  # up to this many records, build with Workspace.add (one transaction each)
BUILDS = ("auto", "add", "import")
WORKSPACE_NAME = "bench"


@dataclass(frozen=True)
class Generated:
    """A generated workspace: where it is, and facts the benchmarks need about it."""

    paths: WorkspacePaths
    manifest: dict[str, Any]

    @property
    def goal_ids(self) -> list[str]:
        return list(self.manifest["goal_ids"])

    @property
    def owner(self) -> str:
        return str(self.manifest["owner"])


def _add_one_by_one(ws: Any, data: dict[str, Any]) -> None:
    """Create every record through ``Workspace.add`` (ids are new: references are remapped)."""
    mapping: dict[str, str] = {}

    def remap(value: Any) -> Any:
        if isinstance(value, str):
            return mapping.get(value, value)
        if isinstance(value, list):
            return [mapping.get(v, v) for v in value]
        return value

    ws.set_strategy(data["strategy"])
    leads: dict[str, str] = {}
    for name in ORDER:
        for old_id, record in data[name].items():
            fields = {k: remap(v) for k, v in record.items()}
            if name == "teams" and "lead" in fields:
                leads[old_id] = fields.pop("lead")  # people do not exist yet
            mapping[old_id] = ws.add(name, fields)
        if name == "people":
            for team_id, lead in leads.items():
                ws.edit(mapping[team_id], {"lead": mapping[lead]})


def generate_workspace(
    data_dir: Path, n_records: int, seed: int = 0, *, bulk: bool | None = None
) -> WorkspacePaths:
    """Create the workspace ``bench`` in ``data_dir`` with ``n_records`` records, compacted.

    ``bulk`` None chooses: one ``add`` per record up to ADD_LIMIT records, else one
    ``import_data`` transaction for everything.
    """
    from goaltui.workspace import Workspace
    from goaltui.workspace.exchange import import_data

    paths = WorkspacePaths(Path(data_dir), WORKSPACE_NAME)
    data = build_export(n_records, seed)
    ws = Workspace.create(paths)
    try:
        if bulk if bulk is not None else n_records > ADD_LIMIT:
            import_data(ws, data)
        else:
            _add_one_by_one(ws, data)
        ws.compact()
    finally:
        ws.close()
    return paths


def _manifest(paths: WorkspacePaths, n_records: int, seed: int, bulk: bool) -> dict[str, Any]:
    """Facts the benchmarks need, read back from the workspace (ids are the stored ones)."""
    from goaltui.workspace import Workspace

    with Workspace.open(paths) as ws:
        goals = ws.records("goals")
        owners: dict[str, int] = {}
        for goal in goals:
            owner = goal.data.get("owner")
            if owner:
                owners[owner] = owners.get(owner, 0) + 1
        counts = {name: len(ws.records(name, include_archived=True)) for name in ORDER}
        kpi_ids = [k.id for k in ws.records("kpis")[:100]]
    return {
        "generator": GENERATOR_VERSION,
        "n_records": n_records,
        "seed": seed,
        "method": "import_data" if bulk else "add",
        "counts": counts,
        "goal_ids": [g.id for g in goals[:1000]],
        "owner": max(sorted(owners), key=lambda p: owners[p]),
        "kpi_ids": kpi_ids,
    }


def uses_add(n_records: int, build: str = "auto") -> bool:
    """Whether ``build`` ("auto", "add" or "import") means one ``Workspace.add`` per record."""
    if build not in BUILDS:
        raise ValueError(f"build must be one of {', '.join(BUILDS)}, not {build!r}")
    return build == "add" or (build == "auto" and n_records <= ADD_LIMIT)


def cached_workspace(
    out_dir: Path, n_records: int, seed: int = 0, *, build: str = "auto", fresh: bool = False
) -> Generated:
    """The workspace of ``n_records`` under ``out_dir``, generated on first use only."""
    from benchmarks.common import log

    bulk = not uses_add(n_records, build)
    method = "import" if bulk else "add"
    root = Path(out_dir) / f"workspace-{n_records}-{method}-s{seed}-v{GENERATOR_VERSION}"
    manifest_file = root / "manifest.json"
    if manifest_file.is_file() and not fresh:
        return Generated(
            WorkspacePaths(root / "data", WORKSPACE_NAME), json.loads(manifest_file.read_text())
        )
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    log(f"generating a workspace of {n_records} records (built by {method})…")
    paths = generate_workspace(root / "data", n_records, seed, bulk=bulk)
    manifest = _manifest(paths, n_records, seed, bulk)
    manifest_file.write_text(json.dumps(manifest, indent=1))  # written last: marks it complete
    return Generated(paths, manifest)

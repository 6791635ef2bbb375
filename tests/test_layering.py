"""The layering rules of DESIGN.md, checked on the real import graph.

Each headless module is imported in a fresh interpreter, and the test fails if
a forbidden package shows up in ``sys.modules``; a static scan of every source
file catches imports that only happen inside functions.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "goaltui"
SYNC = ROOT / "sync" / "goalsync"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _top(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def _sources(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*.py"))


@pytest.mark.parametrize("path", _sources(SYNC), ids=lambda p: str(p.relative_to(ROOT)))
def test_goalsync_never_imports_the_app_or_ui(path: Path) -> None:
    assert not _top(_imports(path)) & {"goaltui", "textual", "click"}


@pytest.mark.parametrize("path", _sources(SRC), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_tui_imports_textual_and_only_cli_imports_click(path: Path) -> None:
    rel = path.relative_to(SRC).parts
    tops = _top(_imports(path))
    if rel[0] != "tui":
        assert "textual" not in tops, "only goaltui.tui may import textual"
    if rel[0] != "cli":
        assert "click" not in tops, "only goaltui.cli may import click"


HEADLESS = [
    "goalsync",
    "goalsync.amcore",
    "goalsync.storage",
    "goalsync.protocol",
    "goaltui.model",
    "goaltui.workspace",
    "goaltui.mirror",
    "goaltui.mirror.read",
    "goaltui.reports",
    "goaltui.freshness",
]


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_modules_load_without_ui_packages(module: str) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "bad = sorted(m for m in ('textual', 'click', 'rich') if m in sys.modules)\n"
        "app = sorted(m for m in sys.modules if m.startswith('goaltui'))\n"
        "print(','.join(bad)); print(','.join(app))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    bad, app = out.stdout.splitlines()
    assert bad == "", f"{module} pulled in {bad}"
    if module.startswith("goalsync"):
        assert app == "", f"{module} pulled in {app}"


def test_document_is_touched_only_by_the_workspace() -> None:
    """Only goaltui.workspace (and goalsync) may import the Automerge binding."""
    offenders = [
        str(p.relative_to(ROOT))
        for p in _sources(SRC)
        if "automerge" in _top(_imports(p)) and p.relative_to(SRC).parts[0] != "workspace"
    ]
    assert offenders == []

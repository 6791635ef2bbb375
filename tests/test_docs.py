"""The documentation stays true: the CLI reference is generated from the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_cli_reference_matches_the_commands() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cli_reference.py"), "--check"], cwd=ROOT
    )
    assert result.returncode == 0, "docs/cli.md is stale: run python scripts/cli_reference.py"


def test_readme_links_point_to_files_that_exist() -> None:
    import re

    readme = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        assert (ROOT / target).exists(), f"README links to missing {target}"

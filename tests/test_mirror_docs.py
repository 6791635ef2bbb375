"""docs/sql.md documents every table and view, and its example queries run."""

from __future__ import annotations

import re
from pathlib import Path

from goaltui.mirror import MirrorReader
from goaltui.mirror.tables import TABLES
from goaltui.mirror.views import VIEWS
from test_mirror_fixture import mirror_path, pinned_now, reader

__all__ = ["mirror_path", "pinned_now", "reader"]  # fixtures used by the tests below

DOC = (Path(__file__).parent.parent / "docs" / "sql.md").read_text(encoding="utf-8")


def test_every_table_and_view_is_documented() -> None:
    for table in TABLES.values():
        assert f"| `{table.name}` |" in DOC, table.name
    for name, _ in VIEWS:
        assert f"### `{name}`" in DOC, name


def test_example_queries_run(reader: MirrorReader) -> None:
    queries = re.findall(r'goaltui sql "(.+?)"', DOC, flags=re.S)
    queries += re.findall(r"```sql\n(.+?)```", DOC, flags=re.S)
    assert len(queries) >= 8
    for sql in queries:
        reader.query(" ".join(sql.split()).replace("'01J...'", "'G2'"))

"""Bytes on disk per record after compaction, against a plain ``save()`` of the document."""

from __future__ import annotations

from pathlib import Path

from benchmarks.common import Benchmark, Context, Row

__all__ = ["BENCHMARKS"]

NAME = "bytes per record"


def _tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run(ctx: Context, size: int) -> list[Row]:
    """The document's files (snapshot + any chunks) vs ``len(doc.save())``, per record."""
    from goalsync.storage import DocumentStore, FileChunkStore
    from goaltui.workspace.config import WorkspaceConfig

    generated = ctx.workspace(size)
    paths = generated.paths
    doc_id = WorkspaceConfig.load(paths.config).document_id
    chunks = FileChunkStore(paths.repo)
    on_disk = _tree_bytes(chunks.path_of((doc_id,)))
    saved = len(DocumentStore(chunks).load(doc_id).doc.save())
    overhead = (on_disk - saved) / saved * 100 if saved else 0.0
    records = sum(generated.manifest["counts"].values())
    rows = [
        Row(
            NAME,
            "document on disk (compacted)",
            size,
            [on_disk / records],
            unit="B",
            against="len(doc.save())",
            their=[saved / records],
            note=f"{overhead:+.1f}% overhead; {on_disk / 1e6:.2f} MB in all; "
            f"built by {generated.manifest['method']}",
        ),
    ]
    if paths.mirror.is_file():
        mirror = _tree_bytes(paths.dir)
        rows.append(
            Row(
                NAME,
                "SQLite mirror + config",
                size,
                [mirror / records],
                unit="B",
                note=f"{mirror / 1e6:.2f} MB in all",
            )
        )
    return rows


BENCHMARKS = [Benchmark(NAME, run)]

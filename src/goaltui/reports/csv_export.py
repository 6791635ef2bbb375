"""One CSV file per collection, into a directory or a .zip: for spreadsheets and BI tools."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

from goaltui.mirror.read import MirrorReader

__all__ = ["collection_csv", "export_csv"]

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same data gives the same bytes


def collection_csv(reader: MirrorReader, collection: str) -> str:
    """A collection as CSV text: header ``id`` + field names, one row per record by id.

    Archived records are included (an export is complete); lists and maps are JSON,
    booleans ``true``/``false``, missing values empty.
    """
    fields = reader.field_names(collection)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["id", *fields])
    for record in reader.list_records(collection, include_archived=True):
        writer.writerow([record["id"], *(_cell(record.get(f)) for f in fields)])
    return buffer.getvalue()


def export_csv(reader: MirrorReader, dest: Path) -> list[str]:
    """Write ``<collection>.csv`` for every collection into ``dest`` (a .zip or a directory).

    Files are 0600 and a created directory 0700. Returns the file names written.
    """
    dest = Path(dest)
    files = {f"{c}.csv": collection_csv(reader, c) for c in reader.collections()}
    if dest.suffix.lower() == ".zip":
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.external_attr = 0o600 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, files[name].encode("utf-8"))
        return sorted(files)
    if not dest.exists():
        dest.mkdir(mode=0o700, parents=True)
        os.chmod(dest, 0o700)
    for name in sorted(files):
        _write_private(dest / name, files[name])
    return sorted(files)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

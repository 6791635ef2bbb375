"""A second process writing to the same stored document, for the storage tests.

    storage_writer.py serve ROOT DOC_ID     commands on stdin, one per line:
        edit ID TITLE  -> refresh, put goal, append; prints "ack ID"
        refresh        -> prints "titles <json>"
        compact        -> prints "compacted"
    storage_writer.py loop ROOT DOC_ID PREFIX COMPACT_EVERY
        appends goals PREFIX0, PREFIX1, ... forever, printing "ack N" after each append
        returns, compacting every COMPACT_EVERY edits (0: never)

Each run uses its own random actor id.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from storage_docs import put_goal, titles

from goalsync.storage import DocumentStore, FileChunkStore


def serve(store: DocumentStore, doc_id: str) -> None:
    loaded = store.load(doc_id)
    doc, known = loaded.doc, loaded.known
    for line in sys.stdin:
        cmd, *args = line.split(maxsplit=2)
        if cmd == "edit":
            store.refresh(doc_id, doc, known)
            heads = doc.get_heads()
            put_goal(doc, args[0], args[1].strip())
            store.append(doc_id, doc, heads, known)
            print(f"ack {args[0]}", flush=True)
        elif cmd == "refresh":
            store.refresh(doc_id, doc, known)
            print("titles " + json.dumps(titles(doc)), flush=True)
        elif cmd == "compact":
            store.compact(doc_id, doc, known)
            print("compacted", flush=True)
        elif cmd == "quit":
            return


def loop(store: DocumentStore, doc_id: str, prefix: str, compact_every: int) -> None:
    loaded = store.load(doc_id)
    doc, known = loaded.doc, loaded.known
    n = 0
    while True:
        heads = doc.get_heads()
        put_goal(doc, f"{prefix}{n}", f"title {n}")
        store.append(doc_id, doc, heads, known)
        print(f"ack {n}", flush=True)
        n += 1
        if compact_every and n % compact_every == 0:
            store.compact(doc_id, doc, known)


def main() -> None:
    mode, root, doc_id, *rest = sys.argv[1:]
    store = DocumentStore(FileChunkStore(Path(root)))
    if mode == "serve":
        serve(store, doc_id)
    else:
        loop(store, doc_id, rest[0], int(rest[1]))


if __name__ == "__main__":
    main()

"""Telling whether changes are really in a document.

The binding accepts changes whose dependencies are missing without a word: it queues
them, and ``Document.load`` silently skips them. Storage must know, or compaction
would delete chunks the snapshot does not hold. The binding has no "has change"
call, and ``get_changes`` ignores unknown hashes, so: a hash is in the document iff
it is a head, or some change of the document lists it as a dependency (such a
change is not an ancestor of it, so ``get_changes([h])`` returns it). For hashes
near the heads, as new chunks are, that costs O(changes after h).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from automerge import core as am

from goalsync.storage.chunks import ChangeInfo, top_hashes
from goalsync.storage.keys import StorageKey

__all__ = ["applied_keys", "has_change"]


def has_change(doc: am.Document, change_hash: bytes, heads: Iterable[bytes]) -> bool:
    """True if the change ``change_hash`` is in ``doc`` (``heads``: its current heads)."""
    if change_hash in set(heads):
        return True
    return any(change_hash in change.deps for change in doc.get_changes([change_hash]))


def applied_keys(
    doc: am.Document,
    incs: Sequence[tuple[StorageKey, list[ChangeInfo]]],
    problems: list[str],
) -> set[StorageKey]:
    """The keys of ``incs`` whose every change is in ``doc``; notes the others in problems."""
    if not incs:
        return set()
    heads = set(doc.get_heads())
    if all(has_change(doc, h, heads) for h in top_hashes(c for _, cs in incs for c in cs)):
        return {key for key, _ in incs}
    out = set()
    for key, infos in incs:
        if all(has_change(doc, h, heads) for h in top_hashes(infos)):
            out.add(key)
        else:
            problems.append(
                f"{key[1]} {key[2]} of document {key[0]} depends on changes that are not "
                "stored here; it is kept and will load once they arrive"
            )
    return out

"""The relay's O(changes) shortcuts around the binding's O(history) calls, checked
against the binding itself: a hub DocSync (the relay's role: it stores what
``unsaved_changes`` gives, then ``mark_saved``) and plain binding peers exchange sync
messages through queues delivered in a random order, as on a busy relay.
"""

from __future__ import annotations

import random
from collections import deque

from automerge import core as am
from hypothesis import given, settings
from hypothesis import strategies as st

from goalsync.amcore import apply_change_chunks
from goalsync.protocol.docid import new_document_id
from goalsync.repo import DocSync, inspect_sync_message
from goalsync.storage import DocumentStore, MemoryChunkStore

PEERS = 3


class _Net:
    """One hub and PEERS binding documents, with a FIFO queue per direction."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.hub = DocSync(new_document_id(), DocumentStore(MemoryChunkStore()))
        self.peers = [am.Document() for _ in range(PEERS)]
        self.states = [am.SyncState() for _ in range(PEERS)]
        self.up: list[deque[bytes]] = [deque() for _ in range(PEERS)]  # peer -> hub
        self.down: list[deque[bytes]] = [deque() for _ in range(PEERS)]  # hub -> peer
        self.stored: list[bytes] = []  # what the hub made durable, in order
        self.skipped = 0

    def edit(self, i: int) -> None:
        with self.peers[i].transaction() as tx:
            tx.put(am.ROOT, f"p{i}", am.ScalarType.Int, self.rng.randrange(1 << 30))

    def peer_sends(self, i: int) -> None:
        message = self.peers[i].generate_sync_message(self.states[i])
        if message is not None:
            self.up[i].append(message.encode())

    def hub_sends(self, i: int) -> None:
        peer = self.hub._peers.get(f"p{i}")
        if peer is not None and self.hub._surely_nothing_to_say(peer):
            self.skipped += 1  # the shortcut says None: the binding must agree
            assert self.hub.doc.generate_sync_message(peer.state) is None
        data = self.hub.generate(f"p{i}")
        if data is not None:
            self.down[i].append(data)

    def deliver_up(self, i: int) -> None:
        if self.up[i]:
            result = self.hub.receive(f"p{i}", self.up[i].popleft(), persist=False)
            if result.changed:
                self.stored.append(self.hub.unsaved_changes())
                self.hub.mark_saved()
            for j in range(PEERS):  # the relay answers the sender and forwards to the rest
                if j == i or result.changed:
                    self.hub_sends(j)

    def deliver_down(self, i: int) -> None:
        if self.down[i]:
            message = am.Message.decode(self.down[i].popleft())
            self.peers[i].receive_sync_message(self.states[i], message)
            self.peer_sends(i)

    def step(self) -> None:
        i = self.rng.randrange(PEERS)
        action = self.rng.choice(("edit", "deliver_up", "deliver_up", "deliver_down"))
        if action == "edit":
            self.edit(i)
            self.peer_sends(i)
        else:
            getattr(self, action)(i)

    def settle(self) -> None:
        for _ in range(200):
            if not any(self.up) and not any(self.down):
                for i in range(PEERS):
                    self.peer_sends(i)
                    self.hub_sends(i)
                if not any(self.up) and not any(self.down):
                    return
            for i in range(PEERS):
                self.deliver_up(i)
                self.deliver_down(i)
        raise AssertionError("the network did not settle")


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(5, 120))
def test_shortcuts_agree_with_the_binding_and_store_every_change(seed: int, steps: int) -> None:
    net = _Net(seed)
    for _ in range(steps):
        net.step()
    net.settle()
    heads = net.hub.heads
    assert all(tuple(p.get_heads()) == heads for p in net.peers)  # everyone converged
    reloaded = am.Document()
    apply_change_chunks(reloaded, net.stored)
    assert tuple(reloaded.get_heads()) == heads  # every change the hub took was stored


def test_acknowledgements_of_a_quiet_document_are_not_answered() -> None:
    """The common case on a relay: after a peer acknowledges our heads, generate is not
    asked of the binding, and answers None."""
    net = _Net(1)
    net.edit(0)
    net.peer_sends(0)
    net.settle()
    before = net.skipped
    net.peer_sends(1)  # nothing new on either side: no message at all
    net.edit(2)
    net.peer_sends(2)
    net.settle()
    assert net.skipped > before


def test_unsaved_changes_after_a_whole_document_asks_the_binding() -> None:
    """A message carrying a compressed document (the large-push workaround) has no
    change entries to keep: the changes it brought come from the binding instead."""
    source = am.Document()
    for n in range(300):
        with source.transaction() as tx:
            tx.put(am.ROOT, f"k{n}", am.ScalarType.Int, n)
    hub = DocSync(new_document_id(), DocumentStore(MemoryChunkStore()))
    sender = DocSync.adopt(hub.doc_id, DocumentStore(MemoryChunkStore()), source, set())
    documents = 0
    for _ in range(10):
        data, reply = sender.generate("h"), None
        if data is not None:
            documents += inspect_sync_message(data).carries_document
            hub.receive("s", data, persist=False)
        reply = hub.generate("s")
        if reply is not None:
            sender.receive("h", reply)
        if data is None and reply is None:
            break
    assert documents == 1
    assert hub.heads == tuple(source.get_heads())
    reloaded = am.Document()
    apply_change_chunks(reloaded, [hub.unsaved_changes()])
    assert tuple(reloaded.get_heads()) == hub.heads

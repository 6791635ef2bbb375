"""The relay's O(changes) shortcuts around the binding's O(history) calls, checked
against the binding itself: a hub DocSync (the relay's role: it stores what
``unsaved_changes`` gives, then ``mark_saved``) and plain binding peers exchange sync
messages through queues delivered in a random order, as on a busy relay.
"""

from __future__ import annotations

import random
from collections import deque

import pytest
from automerge import core as am
from hypothesis import given, settings
from hypothesis import strategies as st

from goalsync.amcore import apply_change_chunks
from goalsync.protocol.docid import new_document_id
from goalsync.repo import DocSync, RejectedMessage, inspect_sync_message
from goalsync.repo.changelog import bloom_filter, encode_sync_message
from goalsync.repo.docsync import FORGET_EVERY
from goalsync.storage import DocumentStore, MemoryChunkStore

PEERS = 3


class _Net:
    """One hub and PEERS binding documents, with a FIFO queue per direction."""

    def __init__(self, seed: int, *, fast_forward: bool = False) -> None:
        self.rng = random.Random(seed)
        store = DocumentStore(MemoryChunkStore())
        self.hub = DocSync(new_document_id(), store, fast_forward=fast_forward)
        self.peers = [am.Document() for _ in range(PEERS)]
        self.states = [am.SyncState() for _ in range(PEERS)]
        self.up: list[deque[bytes]] = [deque() for _ in range(PEERS)]  # peer -> hub
        self.down: list[deque[bytes]] = [deque() for _ in range(PEERS)]  # hub -> peer
        self.stored: list[bytes] = []  # what the hub made durable, in order
        self.skipped = 0
        self.level_messages = 0  # messages generated for level peers, from the change log

    def edit(self, i: int) -> None:
        with self.peers[i].transaction() as tx:
            tx.put(am.ROOT, f"p{i}", am.ScalarType.Int, self.rng.randrange(1 << 30))

    def peer_sends(self, i: int) -> None:
        message = self.peers[i].generate_sync_message(self.states[i])
        if message is not None:
            self.up[i].append(message.encode())

    def hub_sends(self, i: int) -> None:
        peer = self.hub._peers.get(f"p{i}")
        if peer is not None and peer.level:
            self.level_messages += 1
        elif peer is not None and self.hub._surely_nothing_to_say(peer):
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
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(5, 120), fast=st.booleans())
def test_shortcuts_agree_with_the_binding_and_store_every_change(
    seed: int, steps: int, fast: bool
) -> None:
    net = _Net(seed, fast_forward=fast)
    for _ in range(steps):
        net.step()
        assert net.hub.heads == tuple(net.hub.doc.get_heads())  # remembered, never stale
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


# -- level peers: forwarded from the hub's change log, without the binding -----------


def _settled_fast_net(seed: int = 7) -> _Net:
    net = _Net(seed, fast_forward=True)
    for i in range(PEERS):
        net.edit(i)
        net.peer_sends(i)
        net.settle()
    return net


def _hub_peers(net: _Net) -> list[bool]:
    return [net.hub._peers[f"p{i}"].level for i in range(PEERS)]


def test_the_log_messages_are_the_bytes_the_binding_writes() -> None:
    """What a level peer is sent (heads, the have entry with its bloom filter, the
    changes packed in one entry) equals the binding's own message, change for change."""
    hub, peer, other = am.Document(), am.Document(), am.Document()
    hub_peer, hub_other, peer_state, other_state = (am.SyncState() for _ in range(4))

    def exchange(a: am.Document, sa: am.SyncState, b: am.Document, sb: am.SyncState) -> None:
        for _ in range(10):
            m1 = a.generate_sync_message(sa)
            if m1 is not None:
                b.receive_sync_message(sb, m1)
            m2 = b.generate_sync_message(sb)
            if m2 is not None:
                a.receive_sync_message(sa, m2)
            if m1 is None and m2 is None:
                return

    compared = 0
    for round_ in range(30):
        exchange(peer, peer_state, hub, hub_peer)
        exchange(other, other_state, hub, hub_other)
        level = tuple(hub.get_heads())
        for n in range(round_ % 5 + 1):
            with peer.transaction() as tx:
                tx.put(am.ROOT, f"k{round_}-{n}", am.ScalarType.Str, "v" * n)
            message = peer.generate_sync_message(peer_state)
            assert message is not None
            hub.receive_sync_message(hub_peer, message)
        forward = hub.generate_sync_message(hub_other)
        assert forward is not None
        changes = hub.get_changes(list(level))
        bloom = bloom_filter([c.hash for c in changes])
        ours = encode_sync_message(tuple(hub.get_heads()), level, bloom, [c.bytes for c in changes])
        assert ours == forward.encode()
        other.receive_sync_message(other_state, forward)
        compared += 1
    assert compared == 30


def test_sequential_edits_are_forwarded_from_the_log() -> None:
    net = _settled_fast_net()
    assert _hub_peers(net) == [True] * PEERS  # each acknowledged our heads: level
    before = net.level_messages
    for n in range(200):
        net.edit(n % PEERS)
        net.peer_sends(n % PEERS)
        net.settle()
        assert _hub_peers(net) == [True] * PEERS  # nobody fell back to the binding
    assert all(tuple(p.get_heads()) == net.hub.heads for p in net.peers)
    assert net.level_messages - before >= 200 * PEERS  # an answer and two forwards per edit
    log = net.hub._log
    assert log is not None and len(log.chunks) <= FORGET_EVERY  # what all have is dropped


def test_concurrent_edits_go_to_the_binding_then_back_to_the_log() -> None:
    net = _settled_fast_net()
    for i in range(PEERS):  # each edits before hearing of the others' edits
        net.edit(i)
        net.peer_sends(i)
    for i in range(PEERS):
        net.deliver_up(i)
    assert not all(_hub_peers(net))  # a peer whose heads differ from ours left the log
    net.settle()
    assert all(tuple(p.get_heads()) == net.hub.heads for p in net.peers)
    assert _hub_peers(net) == [True] * PEERS  # level again after acknowledging
    net.edit(0)
    net.peer_sends(0)
    net.settle()
    assert all(tuple(p.get_heads()) == net.hub.heads for p in net.peers)


def _side_change(net: _Net) -> tuple[am.Document, bytes]:
    """A copy of the hub's document with one more change, and that change's chunk."""
    side = am.Document()
    apply_change_chunks(side, [c.bytes for c in net.hub.doc.get_changes([])])
    before = side.get_heads()
    with side.transaction() as tx:
        tx.put(am.ROOT, "side", am.ScalarType.Str, "change")
    return side, side.get_changes(before)[0].bytes


def test_a_change_applied_outside_sync_still_reaches_level_peers() -> None:
    """The hub's heads moved without a sync message (a journal replay): the log asks
    the binding for what it missed."""
    net = _settled_fast_net()
    side, change = _side_change(net)
    net.hub.apply_stored([change])
    for i in range(PEERS):
        net.hub_sends(i)
    net.settle()
    assert all(tuple(p.get_heads()) == tuple(side.get_heads()) for p in net.peers)


def test_a_corrupt_change_from_a_level_peer_is_refused_and_the_rest_converge() -> None:
    net = _settled_fast_net()
    side, change = _side_change(net)
    chunk = bytearray(change)
    chunk[-1] ^= 0xFF  # its checksum no longer matches
    heads = net.hub.heads
    bad = encode_sync_message(tuple(side.get_heads()), heads, b"", [bytes(chunk)])
    with pytest.raises(RejectedMessage, match="checksum"):
        net.hub.receive("p1", bad, persist=False)
    assert net.hub.heads == heads and _hub_peers(net) == [True] * PEERS
    net.edit(2)
    net.peer_sends(2)
    net.settle()
    assert all(tuple(p.get_heads()) == net.hub.heads for p in net.peers)


def test_a_level_peer_with_changes_in_flight_gets_the_next_ones_together() -> None:
    """Flow control: a peer that has not acknowledged our last changes is sent nothing
    more until it does, then everything since in one message (a slow client is not
    buried under one message per change, each costing it an answer)."""
    net = _settled_fast_net()
    net.edit(0)
    net.peer_sends(0)
    net.deliver_up(0)  # forwarded to peers 1 and 2
    assert len(net.down[1]) == 1
    for _ in range(2):
        net.edit(0)
        net.peer_sends(0)
        net.deliver_up(0)
    assert len(net.down[1]) == 1  # held back: the first is not acknowledged yet
    net.deliver_down(1)  # peer 1 applies it and acknowledges
    net.deliver_up(1)
    assert len(net.down[1]) == 1
    assert len(inspect_sync_message(net.down[1][0]).chunks) == 2  # both, together
    net.settle()
    assert all(tuple(p.get_heads()) == net.hub.heads for p in net.peers)

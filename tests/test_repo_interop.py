"""Interop with JS automerge-repo 2.5.6 and the official sync server 0.2.8, on 127.0.0.1.

The JS packages are pinned in sync/js (package.json + package-lock.json); install them
with ``cd sync/js && npm ci`` (.ci/run does). Skipped only when node itself is absent.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from goalsync.protocol.docid import new_document_id
from goalsync.protocol.messages import Join, Peer, PeerMetadata, decode, encode
from goalsync.relay import Relay, RelayConfig, TokenStore, build_relay
from goalsync.repo.client import sync_once
from goalsync.storage import DocumentStore, MemoryChunkStore
from helpers.relay_peers import edit, keys, new_doc

pytestmark = [pytest.mark.interop, pytest.mark.slow]

JS_DIR = Path(__file__).resolve().parent.parent / "sync" / "js"


@pytest.fixture(scope="module")
def js_dir() -> Path:
    if not shutil.which("node"):
        pytest.skip("node is needed for the interop tests")
    if not (JS_DIR / "node_modules" / "@automerge" / "automerge-repo-sync-server").is_dir():
        pytest.fail("the pinned JS packages are missing: run `cd sync/js && npm ci`")
    return JS_DIR


async def _js(js_dir: Path, url: str, mode: str, *args: str) -> str:
    """Run the JS client; its last stdout line."""
    proc = await asyncio.create_subprocess_exec(
        "node",
        "client.mjs",
        url,
        mode,
        *args,
        cwd=js_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()[-2000:]
    return out.decode().strip().splitlines()[-1]


async def _js_doc(js_dir: Path, url: str, mode: str, *args: str) -> dict[str, Any]:
    value = json.loads(await _js(js_dir, url, mode, *args))
    assert isinstance(value, dict)
    return value


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _wait_until_joinable(url: str) -> None:
    """PROTOCOL.md §1.7: joins in the official server's first milliseconds are lost, so
    probe with a join until one is answered (bounded)."""
    for _ in range(50):
        try:
            async with connect(url, open_timeout=2) as ws:
                join = Join(f"probe-{secrets.token_hex(4)}", PeerMetadata(None, True), ("1",))
                await ws.send(encode(join))
                frame = await asyncio.wait_for(ws.recv(), 0.3)
                if isinstance(frame, bytes) and isinstance(decode(frame), Peer):
                    return
        except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake):
            continue
    raise AssertionError(f"the official server at {url} never answered a join")


OfficialServer = Callable[[Path], Awaitable[str]]


@pytest.fixture
async def official_server(js_dir: Path) -> AsyncIterator[OfficialServer]:
    """Starts the official server on a data dir (127.0.0.1 only); returns its URL."""
    procs: list[asyncio.subprocess.Process] = []

    async def start(data_dir: Path) -> str:
        port = _free_port()
        env = {**os.environ, "PORT": str(port), "DATA_DIR": str(data_dir)}
        proc = await asyncio.create_subprocess_exec(
            "node", "server.mjs", cwd=js_dir, env=env, stdout=subprocess.PIPE
        )
        procs.append(proc)
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert b"Listening" in line
        url = f"ws://127.0.0.1:{port}"
        await _wait_until_joinable(url)
        return url

    yield start
    for proc in procs:
        proc.terminate()
        await proc.wait()


def _python_doc(doc_id: str, **values: str) -> DocumentStore:
    store = DocumentStore(MemoryChunkStore())
    store.append(doc_id, new_doc(**values), [], set())
    return store


async def test_python_to_official_server_to_js_and_back(
    js_dir: Path, official_server: OfficialServer, tmp_path: Path
) -> None:
    url = await official_server(tmp_path / "official")
    doc_id = new_document_id()
    alice = _python_doc(doc_id, fromPy="hello")
    assert (await sync_once(url, alice, [doc_id])).synced == [doc_id]
    assert await _js_doc(js_dir, url, "read", doc_id) == {"fromPy": "hello"}
    await _js_doc(js_dir, url, "edit", doc_id, "jsEdit=yes")
    await sync_once(url, alice, [doc_id])
    assert keys(alice, doc_id) == ["fromPy", "jsEdit"]


async def test_python_and_js_through_the_goaltui_relay_with_tokens(
    js_dir: Path, tmp_path: Path
) -> None:
    tokens = TokenStore(tmp_path / "relay" / "relay")
    py_token, js_token = tokens.add("py", "acme"), tokens.add("js", "acme")
    async with build_relay(RelayConfig(tmp_path / "relay", port=0)) as relay:
        js_url = f"{relay.url}/?token={js_token}"  # stock JS clients cannot set headers
        doc_id = await _js(js_dir, js_url, "create", "fromJs=hello")
        store = DocumentStore(MemoryChunkStore())
        fetched = await sync_once(relay.url, store, [doc_id], py_token)
        assert fetched.synced == [doc_id] and keys(store, doc_id) == ["fromJs"]
        edit(store, doc_id, fromPy="hi")
        assert (await sync_once(relay.url, store, [doc_id], py_token)).changes_out == 1
        seen = await _js_doc(js_dir, js_url, "edit", doc_id, "jsEdit=yes")
        assert seen["fromPy"] == "hi"
        await sync_once(relay.url, store, [doc_id], py_token)
        assert keys(store, doc_id) == ["fromJs", "fromPy", "jsEdit"]
        outsider = f"{relay.url}/?token={tokens.add('other', 'rival')}"
        proc = await asyncio.create_subprocess_exec(
            "node",
            "client.mjs",
            outsider,
            "read",
            doc_id,
            cwd=js_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 2 and b"unavailable" in err  # another team: "missing"


async def test_official_server_serves_a_goaltui_relay_data_dir(
    js_dir: Path, official_server: OfficialServer, tmp_path: Path
) -> None:
    token = TokenStore(tmp_path / "relay" / "relay").add("py", "acme")
    doc_id = new_document_id()
    alice = _python_doc(doc_id, title="from the goaltui relay")
    edit(alice, doc_id, more="and an incremental")
    relay: Relay = build_relay(RelayConfig(tmp_path / "relay", port=0))
    async with relay:
        assert (await sync_once(relay.url, alice, [doc_id], token)).synced == [doc_id]
        edit(alice, doc_id, last="edit")
        await sync_once(relay.url, alice, [doc_id], token)
    url = await official_server(tmp_path / "relay" / "repo")
    doc = await _js_doc(js_dir, url, "read", doc_id)
    assert doc == {"title": "from the goaltui relay", "more": "and an incremental", "last": "edit"}


async def test_python_clients_through_official_server(
    official_server: OfficialServer, tmp_path: Path
) -> None:
    url = await official_server(tmp_path / "official")
    doc_id, missing = new_document_id(), new_document_id()
    alice, bob = _python_doc(doc_id, k000="v"), DocumentStore(MemoryChunkStore())
    edit(alice, doc_id, **{f"k{i:03}": "v" for i in range(1, 500)})
    pushed = await sync_once(url, alice, [doc_id])
    assert pushed.synced == [doc_id] and (pushed.server_peer_id or "").startswith("storage-server-")
    fetched = await sync_once(url, bob, [doc_id, missing])
    assert fetched.synced == [doc_id] and fetched.unavailable == [missing]
    assert len(keys(bob, doc_id)) == 500

"""Interop with JS automerge-repo 2.5.6 and the official sync server 0.2.8, on 127.0.0.1.

Needs node and npm; the packages are installed once into a cache directory
(GOALSYNC_NPM_CACHE, default ~/.cache/goalsync-interop). Skipped without node.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from automerge import core as am

from goalsync.protocol.docid import new_document_id
from goalsync.relay import Relay
from goalsync.repo.client import sync_once
from goalsync.storage import DocumentStore, FileChunkStore, MemoryChunkStore

pytestmark = [pytest.mark.interop, pytest.mark.slow]

PACKAGES = [
    "@automerge/automerge-repo@2.5.6",
    "@automerge/automerge-repo-network-websocket@2.5.6",
    "@automerge/automerge-repo-sync-server@0.2.8",
]

CLIENT_JS = """
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
const [url, mode, id] = process.argv.slice(2);
const repo = new Repo({ network: [new WebSocketClientAdapter(url)] });
const settle = () => new Promise((r) => setTimeout(r, 1500));
if (mode === "create") {
  const h = repo.create({ fromJs: "hello" });
  await settle();
  console.log(h.documentId);
} else {
  const h = await repo.find(id);
  console.log(JSON.stringify(h.doc()));
  h.change((d) => { d.jsEdit = "yes"; });
  await settle();
}
process.exit(0);
"""

# The official server binds every interface; this loads it unmodified but makes its
# listener bind 127.0.0.1 only (PROTOCOL.md §1.8).
SERVER_JS = """
import net from "node:net";
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (port, ...rest) {
  const cb = rest.find((a) => typeof a === "function");
  return listen.call(this, port, "127.0.0.1", cb);
};
await import("./node_modules/@automerge/automerge-repo-sync-server/src/index.js");
"""


@pytest.fixture(scope="module")
def npm_dir() -> Path:
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are needed for interop tests")
    root = Path(os.environ.get("GOALSYNC_NPM_CACHE", Path.home() / ".cache/goalsync-interop"))
    root.mkdir(parents=True, exist_ok=True)
    marker = root / "installed.txt"
    if not marker.exists() or marker.read_text() != "\n".join(PACKAGES):
        (root / "package.json").write_text('{"name": "goalsync-interop", "private": true}\n')
        subprocess.run(["npm", "install", "--silent", *PACKAGES], cwd=root, check=True)
        marker.write_text("\n".join(PACKAGES))
    (root / "client.mjs").write_text(CLIENT_JS)
    (root / "server.mjs").write_text(SERVER_JS)
    return root


async def _node(npm_dir: Path, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        "node", "client.mjs", *args, cwd=npm_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()[-2000:]
    return out.decode().strip().splitlines()[-1]


def _keys(store: DocumentStore, doc_id: str) -> list[str]:
    return sorted(store.load(doc_id).doc.keys(am.ROOT))


async def test_js_client_and_python_client_through_python_relay(
    npm_dir: Path, tmp_path: Path
) -> None:
    async with Relay(DocumentStore(FileChunkStore(tmp_path / "relay"))) as relay:
        doc_id = await _node(npm_dir, relay.url, "create")
        store = DocumentStore(MemoryChunkStore())
        fetched = await sync_once(relay.url, store, [doc_id])
        assert fetched.synced == [doc_id] and _keys(store, doc_id) == ["fromJs"]
        loaded = store.load(doc_id)
        heads = loaded.doc.get_heads()
        with loaded.doc.transaction() as tx:
            tx.put(am.ROOT, "fromPy", am.ScalarType.Str, "hi")
        store.append(doc_id, loaded.doc, heads, loaded.known)
        assert (await sync_once(relay.url, store, [doc_id])).changes_out == 1
        seen_by_js = await _node(npm_dir, relay.url, "find", doc_id)
        assert '"fromPy":"hi"' in seen_by_js
        await sync_once(relay.url, store, [doc_id])
        assert _keys(store, doc_id) == ["fromJs", "fromPy", "jsEdit"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def official_server(npm_dir: Path, tmp_path: Path) -> AsyncIterator[str]:
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "DATA_DIR": str(tmp_path / "data")}
    proc = await asyncio.create_subprocess_exec(
        "node", "server.mjs", cwd=npm_dir, env=env, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    assert b"Listening" in line
    yield f"ws://127.0.0.1:{port}"  # the client's join retry covers the startup race
    proc.terminate()
    await proc.wait()


async def test_python_clients_through_official_server(official_server: str) -> None:
    doc_id, missing = new_document_id(), new_document_id()
    alice, bob = DocumentStore(MemoryChunkStore()), DocumentStore(MemoryChunkStore())
    doc = am.Document()
    with doc.transaction() as tx:
        for i in range(500):
            tx.put(am.ROOT, f"k{i:03}", am.ScalarType.Str, "v")
    alice.append(doc_id, doc, [], set())
    pushed = await sync_once(official_server, alice, [doc_id])
    assert pushed.synced == [doc_id] and (pushed.server_peer_id or "").startswith("storage-server-")
    fetched = await sync_once(official_server, bob, [doc_id, missing])
    assert fetched.synced == [doc_id] and fetched.unavailable == [missing]
    assert len(_keys(bob, doc_id)) == 500

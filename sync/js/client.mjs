// A stock automerge-repo 2.x client for goaltui's interop tests.
//
//   node client.mjs URL create KEY=VALUE...   create a doc, wait until the server has it,
//                                             print its documentId
//   node client.mjs URL read ID               print the doc as JSON
//   node client.mjs URL edit ID KEY=VALUE...  set keys, wait until the server has them,
//                                             print the doc as JSON
//
// A token goes in the URL (?token=...): browser-style clients cannot set headers.
// Exits 2 with a message on stderr if the server never confirms (bounded waits).
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const [url, mode, ...rest] = process.argv.slice(2);
const TIMEOUT_MS = 15000;

function pairs(args) {
  return Object.fromEntries(args.map((a) => a.split("=", 2)));
}

function sameHeads(a, b) {
  return a && b && a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

// Resolves once a peer with a storage id (the server) acknowledged our current heads.
async function serverHas(repo, handle) {
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    for (const peer of repo.peers) {
      const storageId = repo.getStorageIdOfPeer(peer);
      const info = storageId && handle.getSyncInfo(storageId);
      if (info && sameHeads(info.lastHeads, handle.heads())) return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("the server did not confirm our changes in time");
}

async function main() {
  const repo = new Repo({ network: [new WebSocketClientAdapter(url)] });
  if (mode === "create") {
    const handle = repo.create(pairs(rest));
    await serverHas(repo, handle);
    console.log(handle.documentId);
  } else if (mode === "read" || mode === "edit") {
    const handle = await repo.find(rest[0]);
    if (mode === "edit") {
      const values = pairs(rest.slice(1));
      handle.change((d) => Object.assign(d, values));
      await serverHas(repo, handle);
    }
    console.log(JSON.stringify(handle.doc()));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(String(err));
    process.exit(2);
  },
);

// Load generator for an automerge-repo sync server: stock JS automerge-repo 2.x clients.
//
//   node load.mjs --url ws://127.0.0.1:3030/?token=T --clients 120 --docs 30 --rate 1 \
//                 --seconds 60 [--pid SERVER_PID] [--drain 15] [--setup 60] [--workers 2] \
//                 [--warmup 5] [--trace FILE]
//
// Opens C clients (one Repo and one WebSocket each; --workers threads, default 2, each
// holding every client of its share of the documents, so latencies use one clock) on D documents
// (client i works on document i % D; client d creates document d). A warm-up of
// --warmup seconds (default 5) runs the same load unmeasured and waits until every
// warm-up edit has arrived: the JS engine compiles its hot paths (JavaScript and the
// Automerge WebAssembly) during the first seconds, which makes every client slow then,
// whatever the server. During the load
// phase every client changes its own key of its document R times per second. Each
// change must reach every other client of that document: a receiver that sees a
// client's counter go from s to s+3 has received edits s+1..s+3 (a document's
// history holds all of them). After the load phase the generator waits up to
// --drain seconds for the stragglers, then prints one JSON object on stdout:
//
//   expected, delivered, missing          deliveries (edit x other client of its document)
//   latency_ms {p50, p99, max}             from the edit (handle.change) to the receiver's
//                                          "change" event: includes the client's own
//                                          100 ms send throttle (DocSynchronizer)
//   frame_latency_ms {p50, p99, max}       from the first sync frame the sender wrote after
//                                          the edit: network + server + receiver only
//   client_hold_ms {p50, p99, max}         from the edit to that frame, per delivery: how
//                                          long the sending client held the edit back
//                                          (its throttle, its event loop), before any
//                                          server could see it
//   server_cpu_s, server_cpu_ms_per_delivery, server_rss_max_bytes   (with --pid: /proc)
//   dropped_clients                        clients whose connection closed during the run
//   loadgen_cpu_s, loadgen_lag_p99_ms      to tell when this process itself was the limit
//
// With --trace FILE, every delivery is also written to FILE as a line of JSON
// [seconds since the load phase began, document, latency from the frame in ms], to see
// when and where the slow deliveries happened.
//
// Reuses the pinned packages of sync/js (cd sync/js && npm ci). Exits 2 if setup fails.
import fs from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

const JS = new URL("../../sync/js/node_modules/", import.meta.url);
const { Repo } = await import(new URL("@automerge/automerge-repo/dist/entrypoints/fullfat.js", JS));
const { WebSocketClientAdapter } = await import(
  new URL("@automerge/automerge-repo-network-websocket/dist/index.js", JS)
);

function options(argv) {
  const opts = { clients: 4, docs: 2, rate: 1, seconds: 5, drain: 15, setup: 60, pid: 0, workers: 2, warmup: 5, trace: "" };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    if (!(key in opts) && key !== "url") throw new Error(`unknown option ${argv[i]}`);
    opts[key] = key === "url" || key === "trace" ? argv[i + 1] : Number(argv[i + 1]);
  }
  if (!opts.url) throw new Error("--url is required");
  return opts;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, deadline, test) {
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function cpuSeconds(pid) {
  const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

function rssBytes(pid) {
  const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
  return line ? Number(line[1]) * 1024 : 0;
}

function quantiles(values) {
  const v = Float64Array.from(values).sort();
  const at = (q) => (v.length ? v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)] : null);
  return { p50: at(0.5), p99: at(0.99), max: v.length ? v[v.length - 1] : null, n: v.length };
}

class Client {
  constructor(index, url, stats) {
    this.index = index;
    this.key = `c${index}`;
    this.seq = 0;
    this.base = 0; // edits before the measured phase (warm-up)
    this.editAt = [0]; // editAt[s]: when edit s was made
    this.frameAt = [0]; // frameAt[s]: first sync frame written after edit s
    this.seen = new Map(); // other client's key -> last seq seen
    this.adapter = new WebSocketClientAdapter(url, 1000);
    const send = this.adapter.send.bind(this.adapter);
    this.adapter.send = (message) => {
      if (message.type === "sync" || message.type === "request") this.#stampFrames();
      if (stats.running) stats.framesOut += 1;
      send(message);
    };
    this.adapter.on("message", () => {
      if (stats.running) stats.framesIn += 1;
    });
    this.adapter.on("peer-disconnected", () => {
      if (stats.running) stats.dropped.add(index);
    });
    this.repo = new Repo({ network: [this.adapter], peerId: `load-${index}-${process.pid}` });
  }

  #stampFrames() {
    const now = performance.now();
    for (let s = this.frameAt.length; s <= this.seq; s++) this.frameAt[s] = now;
  }

  edit(stats) {
    const seq = this.seq + 1;
    this.editAt[seq] = performance.now();
    try {
      this.handle.change((d) => {
        d[this.key] = seq;
      });
      this.seq = seq;
    } catch (err) {
      stats.editErrors += 1; // e.g. "outdated document" while the repo catches up: not sent
      if (stats.editErrors === 1) console.error(`an edit failed: ${err}`);
    }
  }
}

function watch(client, members, stats) {
  client.handle.on("change", ({ doc }) => {
    const now = performance.now();
    for (const other of members) {
      if (other === client) continue;
      const seq = doc[other.key] ?? 0;
      const seen = client.seen.get(other.key) ?? 0;
      if (!stats.running) {
        if (seq > seen) client.seen.set(other.key, seq); // warm-up: not measured
        continue;
      }
      for (let s = Math.max(seen, other.base) + 1; s <= seq; s++) {
        stats.delivered += 1;
        stats.latency.push(now - other.editAt[s]);
        if (other.frameAt[s] !== undefined) {
          stats.frameLatency.push(now - other.frameAt[s]);
          stats.hold.push(other.frameAt[s] - other.editAt[s]);
          stats.trace?.push([(now - stats.began) / 1000, client.index % stats.docs, now - other.frameAt[s]]);
        }
      }
      if (seq > seen) client.seen.set(other.key, seq);
    }
  });
}

async function setUp(opts, docs, stats) {
  const deadline = Date.now() + opts.setup * 1000;
  const mine = new Set(docs);
  const clients = [];
  for (let i = 0; i < opts.clients; i++) {
    if (!mine.has(i % opts.docs)) continue;
    clients.push(new Client(i, opts.url, stats));
    if (clients.length % 20 === 0) {
      // a few at a time: a burst of hundreds of connects can overflow a listen backlog
      await until("clients to join", deadline, () => clients.every((c) => c.repo.peers.length));
    }
  }
  await until("every client to join", deadline, () => clients.every((c) => c.repo.peers.length));
  const groups = new Map(docs.map((d) => [d, []]));
  for (const c of clients) groups.get(c.index % opts.docs).push(c);
  return finishSetUp([...groups.values()], clients, deadline, stats);
}

async function finishSetUp(groups, clients, deadline, stats) {
  for (const group of groups) {
    const creator = group[0];
    creator.handle = creator.repo.create(Object.fromEntries(group.map((c) => [c.key, 0])));
    const server = creator.repo.peers[0];
    const storageId = creator.repo.getStorageIdOfPeer(server);
    await until("the server to store a new document", deadline, () => {
      const info = storageId && creator.handle.getSyncInfo(storageId);
      const heads = creator.handle.heads();
      return info && info.lastHeads && info.lastHeads.join() === heads.join();
    });
  }
  await Promise.all(
    groups.flatMap((group) =>
      group.slice(1).map(async (c) => {
        c.handle = await c.repo.find(group[0].handle.documentId);
      }),
    ),
  );
  for (const group of groups) {
    for (const c of group) watch(c, group, stats);
  }
  return { clients, groups };
}

async function load(opts, clients, stats) {
  const period = 1000 / opts.rate;
  const stopAt = Date.now() + opts.seconds * 1000;
  const timers = [];
  await new Promise((resolve) => {
    for (const c of clients) {
      const phase = Math.random() * period;
      timers.push(
        setTimeout(() => {
          c.edit(stats);
          timers.push(setInterval(() => Date.now() < stopAt && c.edit(stats), period));
        }, phase),
      );
    }
    setTimeout(resolve, opts.seconds * 1000);
  });
  for (const t of timers) clearInterval(t);
}

async function warmUp(opts, clients, groups, stats) {
  if (opts.warmup <= 0) return;
  await load({ ...opts, seconds: opts.warmup }, clients, stats);
  const caughtUp = () =>
    groups.every((g) => g.every((c) => g.every((o) => o === c || (c.seen.get(o.key) ?? 0) >= o.seq)));
  await until("the warm-up edits to arrive", Date.now() + opts.setup * 1000, caughtUp);
  for (const c of clients) c.base = c.seq;
}

// -- one worker thread: the clients of its share of the documents -------------------

async function worker({ opts, docs }) {
  const stats = {
    running: false,
    delivered: 0,
    latency: [],
    frameLatency: [],
    hold: [],
    dropped: new Set(),
    framesIn: 0,
    framesOut: 0,
    editErrors: 0,
    docs: opts.docs,
    began: 0,
    trace: opts.trace ? [] : null,
  };
  const { clients, groups } = await setUp(opts, docs, stats);
  await warmUp(opts, clients, groups, stats);
  parentPort.postMessage({ ready: true });
  await new Promise((resolve) => parentPort.once("message", resolve));
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  stats.running = true;
  stats.began = performance.now();
  await load(opts, clients, stats);
  const expected = () =>
    groups.reduce((sum, g) => sum + g.reduce((s, c) => s + c.seq - c.base, 0) * (g.length - 1), 0);
  const drainUntil = Date.now() + opts.drain * 1000;
  while (stats.delivered < expected() && Date.now() < drainUntil) await sleep(20);
  stats.running = false;
  lag.disable();
  parentPort.postMessage({
    edits: clients.reduce((s, c) => s + c.seq - c.base, 0),
    expected: expected(),
    delivered: stats.delivered,
    latency: stats.latency,
    frameLatency: stats.frameLatency,
    hold: stats.hold,
    dropped: stats.dropped.size,
    framesIn: stats.framesIn,
    framesOut: stats.framesOut,
    editErrors: stats.editErrors,
    lag: lag.percentile(99) / 1e6,
    trace: stats.trace,
  });
  for (const c of clients) c.repo.shutdown?.();
}

// -- the main thread: spreads documents over workers, measures the server ------------

function startWorker(opts, docs) {
  const w = new Worker(new URL(import.meta.url), { workerData: { opts, docs } });
  const messages = [];
  const waiting = [];
  w.on("message", (m) => (waiting.length ? waiting.shift()(m) : messages.push(m)));
  w.on("error", (err) => {
    console.error(String(err?.stack ?? err));
    process.exit(2);
  });
  w.next = () => new Promise((r) => (messages.length ? r(messages.shift()) : waiting.push(r)));
  return w;
}

async function main() {
  const opts = options(process.argv.slice(2));
  const count = Math.max(1, Math.min(opts.workers, opts.docs));
  const shares = Array.from({ length: count }, () => []);
  for (let d = 0; d < opts.docs; d++) shares[d % count].push(d);
  const workers = shares.map((docs) => startWorker(opts, docs));
  await Promise.all(workers.map((w) => w.next()));
  const rss = [];
  const sampler = setInterval(() => opts.pid && rss.push(rssBytes(opts.pid)), 500);
  const cpu0 = opts.pid ? cpuSeconds(opts.pid) : 0;
  const own0 = process.cpuUsage(); // the whole process: every worker thread
  for (const w of workers) w.postMessage("go");
  const parts = await Promise.all(workers.map((w) => w.next()));
  const cpu = opts.pid ? cpuSeconds(opts.pid) - cpu0 : null;
  const own = process.cpuUsage(own0);
  if (opts.pid) rss.push(rssBytes(opts.pid));
  clearInterval(sampler);
  const sum = (key) => parts.reduce((s, p) => s + p[key], 0);
  const delivered = sum("delivered");
  const result = {
    clients: opts.clients,
    docs: opts.docs,
    rate: opts.rate,
    seconds: opts.seconds,
    workers: count,
    edits: sum("edits"),
    expected: sum("expected"),
    delivered,
    missing: sum("expected") - delivered,
    latency_ms: quantiles(parts.flatMap((p) => p.latency)),
    frame_latency_ms: quantiles(parts.flatMap((p) => p.frameLatency)),
    client_hold_ms: quantiles(parts.flatMap((p) => p.hold)),
    server_cpu_s: cpu,
    server_cpu_ms_per_delivery: cpu === null || !delivered ? null : (cpu * 1000) / delivered,
    server_rss_max_bytes: rss.length ? Math.max(...rss) : null,
    dropped_clients: sum("dropped"),
    frames_to_server: sum("framesOut"),
    frames_from_server: sum("framesIn"),
    edit_errors: sum("editErrors"),
    loadgen_cpu_s: (own.user + own.system) / 1e6,
    loadgen_lag_p99_ms: Math.max(...parts.map((p) => p.lag)),
  };
  if (opts.trace) {
    const lines = parts.flatMap((p) => p.trace ?? []).sort((a, b) => a[0] - b[0]);
    fs.writeFileSync(opts.trace, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  }
  console.log(JSON.stringify(result));
  await Promise.all(workers.map((w) => w.terminate()));
}

const entry = isMainThread ? main() : worker(workerData);
entry.then(
  () => process.exit(0),
  (err) => {
    console.error(String(err?.stack ?? err));
    process.exit(2);
  },
);

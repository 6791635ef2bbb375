// Runs the official @automerge/automerge-repo-sync-server unmodified, but bound to
// 127.0.0.1 only (it has no host option and binds every interface; PROTOCOL.md §1.8).
// Environment: PORT, DATA_DIR, as for the official server.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (port, ...rest) {
  const callback = rest.find((a) => typeof a === "function");
  return listen.call(this, port, "127.0.0.1", callback);
};
await import("@automerge/automerge-repo-sync-server/src/index.js");

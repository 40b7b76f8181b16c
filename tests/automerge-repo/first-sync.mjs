// The sync benchmark's baseline: the same village's first sync through
// automerge-repo, the library most Automerge applications sync with.
//
//   node first-sync.mjs <docs-dir>
//
// <docs-dir> holds one file per record: its whole Automerge history, as the
// sync benchmark exported it from the phone that wrote the village. A server
// repo in a child process (its own storage on disk) imports every document and
// listens on a loopback WebSocket; a new client repo (its own storage on disk,
// as a phone's) then finds every document by its URL and writes them all to its
// storage. Prints one line of JSON: seconds, documents asked, documents that
// arrived whole (the same heads as on the server), documents asked again after
// the server said "unavailable", the client's peak memory.

import { fork } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Repo } from "@automerge/automerge-repo";
import {
  NodeWSServerAdapter,
  WebSocketClientAdapter,
} from "@automerge/automerge-repo-network-websocket";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";
import * as A from "@automerge/automerge";
import { WebSocketServer } from "ws";

const [mode, dir] = process.argv.slice(2);

if (mode === "serve") {
  // The server: import every document, then serve them.
  const storage = mkdtempSync(join(tmpdir(), "automerge-repo-server-"));
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((ok) => wss.on("listening", ok));
  const repo = new Repo({
    network: [new NodeWSServerAdapter(wss)],
    storage: new NodeFSStorageAdapter(storage),
    // As a sync server: answers what a peer asks for, announces nothing.
    shareConfig: { announce: async () => false, access: async () => true },
  });
  const docs = readdirSync(dir).sort();
  const heads = {};
  for (const name of docs) {
    const doc = A.load(readFileSync(join(dir, name)));
    const handle = repo.import(A.save(doc));
    heads[handle.url] = A.getHeads(doc).sort().join(",");
  }
  await repo.flush();
  process.send({ port: wss.address().port, heads });
  // The client gone (finished or failed): stop too.
  process.on("disconnect", () => {
    rmSync(storage, { recursive: true, force: true });
    process.exit(0);
  });
  process.on("message", () => {
    rmSync(storage, { recursive: true, force: true });
    process.exit(0);
  });
} else if (mode === "client") {
  if (!dir) throw new Error("usage: node first-sync.mjs client <docs-dir>");
  const server = fork(new URL(import.meta.url).pathname, ["serve", dir]);
  const { port, heads } = await new Promise((ok, fail) => {
    server.once("message", ok);
    server.once("exit", (code) => fail(new Error(`the server repo exited (${code})`)));
  });
  const urls = Object.keys(heads);
  const storage = mkdtempSync(join(tmpdir(), "automerge-repo-client-"));
  const t0 = process.hrtime.bigint();
  const repo = new Repo({
    network: [new WebSocketClientAdapter(`ws://127.0.0.1:${port}`)],
    storage: new NodeFSStorageAdapter(storage),
  });
  // Ask once the server is a peer (asked before, a document is "unavailable").
  await new Promise((ok) => repo.networkSubsystem.once("peer", ok));
  // 64 documents asked at a time (all 4,500 at once is far slower); a document
  // the server reports unavailable while it is busy is asked again.
  const handles = [];
  let retries = 0;
  let next = 0;
  const worker = async () => {
    while (next < urls.length) {
      const url = urls[next++];
      for (let attempt = 1; ; attempt++) {
        try {
          handles.push(await repo.find(url));
          break;
        } catch (e) {
          if (attempt === 3) throw e;
          retries++;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  await repo.flush();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const whole = handles.filter(
    (h) => A.getHeads(h.doc()).sort().join(",") === heads[h.url],
  ).length;
  console.log(
    JSON.stringify({
      secs,
      asked: urls.length,
      whole,
      retries,
      peak_mb: process.resourceUsage().maxRSS / 1024,
    }),
  );
  server.send("stop");
  rmSync(storage, { recursive: true, force: true });
  process.exit(0);
} else {
  throw new Error("usage: node first-sync.mjs client <docs-dir>");
}

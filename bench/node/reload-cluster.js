#!/usr/bin/env node
'use strict';
// Node `cluster` serving "Hello World" over HTTP with N workers and the
// supervision a Node application writes by hand: the peer of bin/hello-cluster
// for `bench/run reload`, printing the same lines so one driver runs both.
//
//   node bench/node/reload-cluster.js --port P [--workers N]
//
// The scheduling policy is Node's own choice (round-robin on Linux) unless
// NODE_CLUSTER_SCHED_POLICY=none|rr says otherwise.
//   SIGHUP   rolling restart, one worker at a time: fork a new worker, on its
//            'listening' disconnect the old one, wait for its exit (SIGKILL after
//            10 s); prints `reloading`, then `reloaded` (or `reload failed: <why>`).
//   a worker that exits without being disconnected is respawned:
//            `worker <id> died: <reason> <exit>`
//   every worker that listens (first ones, replacements, respawns):
//            `worker <id> (pid <pid>) listening on <address>`
//   SIGTERM / SIGINT disconnects every worker, then exits.

const cluster = require('node:cluster');
const http = require('node:http');

const BODY = 'Hello World\n';
const REPLACE_TIMEOUT_MS = 30000;
// An old worker whose keep-alive connections stay busy may never finish closing:
// the usual bound of a hand-written restart (recluster's `timeout`), then SIGKILL.
const DISCONNECT_TIMEOUT_MS = 10000;

function parseArgs(argv) {
  const opts = { port: 0, workers: 2 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const val = Number(argv[i + 1]);
    if (!(key in opts) || !(val > 0)) usage(`${argv[i]} ${argv[i + 1]}`);
    opts[key] = val;
  }
  if (!(opts.port > 0)) usage('--port is required');
  return opts;
}

function usage(bad) {
  console.error(`usage: reload-cluster.js --port P [--workers N] (bad: ${bad})`);
  process.exit(2);
}

if (cluster.isPrimary) primary(parseArgs(process.argv.slice(2))); else worker();

function worker() {
  http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
    res.end(BODY);
  }).listen(Number(process.env.RELOAD_BENCH_PORT), '127.0.0.1');
}

function primary(opts) {
  const env = { RELOAD_BENCH_PORT: String(opts.port) };
  let stopping = false;

  cluster.on('listening', (w, address) => {
    console.log(`worker ${w.id} (pid ${w.process.pid}) listening on ${address.address}:${address.port}`);
  });
  // exitedAfterDisconnect tells the workers a reload (or a stop) retired from crashes.
  cluster.on('exit', (w, code, signal) => {
    if (w.exitedAfterDisconnect || stopping) return;
    const exit = signal ? `SIGNAL killed by ${signal}` : `CRASH exit code ${code}`;
    console.log(`worker ${w.id} died: ${exit}`);
    cluster.fork(env);
  });

  // One replacement: resolves once the new worker listens and the old one has exited.
  const replace = (old) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${fresh.id} did not listen within ${REPLACE_TIMEOUT_MS} ms`)), REPLACE_TIMEOUT_MS);
    const fresh = cluster.fork(env);
    fresh.once('exit', () => reject(new Error(`worker ${fresh.id} exited before it listened`)));
    fresh.once('listening', () => {
      clearTimeout(timer);
      if (old.isDead()) return resolve();
      const kill = setTimeout(() => {
        console.log(`worker ${old.id} still running ${DISCONNECT_TIMEOUT_MS} ms after its disconnect: killed`);
        old.process.kill('SIGKILL');
      }, DISCONNECT_TIMEOUT_MS);
      old.once('exit', () => { clearTimeout(kill); resolve(); });
      old.disconnect();
    });
  });

  let reloading = false;
  process.on('SIGHUP', async () => {
    if (reloading) return;
    reloading = true;
    console.log('reloading');
    try {
      for (const old of Object.values(cluster.workers)) await replace(old);
      console.log('reloaded');
    } catch (e) {
      console.log(`reload failed: ${e.message}`);
    }
    reloading = false;
  });

  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.disconnect();
    cluster.on('exit', () => { if (Object.keys(cluster.workers).length === 0) process.exit(0); });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('exit', () => { for (const w of Object.values(cluster.workers)) w.process.kill('SIGKILL'); });

  console.log(`primary ${process.pid}: ${opts.workers} workers on http://127.0.0.1:${opts.port}/ (${cluster.schedulingPolicy === cluster.SCHED_RR ? 'rr' : 'none'})`);
  for (let i = 0; i < opts.workers; i++) cluster.fork(env);
}

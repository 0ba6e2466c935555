#!/usr/bin/env node
'use strict';
// Node's own cluster example (the message-counting one of the `cluster` docs):
// workers answer "hello world" and `process.send` a notify per request; the
// primary counts them and prints `numReqs = N` every second. The peer of
// bin/hello-cluster for `bench/run main`. Added for the driver, outside the
// request path: the `listening` line bin/hello-cluster prints, a port and a
// worker count, and on SIGUSR2 the counts per worker (`per worker: PID=N ...`),
// which the primary has anyway: each notify comes from one worker.
//
//   node bench/node/main-cluster.js --port P [--workers N]
//
// The scheduling policy is Node's own choice (round-robin on Linux) unless
// NODE_CLUSTER_SCHED_POLICY=none|rr says otherwise. SIGTERM/SIGINT: exits,
// killing the workers.

const cluster = require('node:cluster');
const http = require('node:http');
const process = require('node:process');

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
  console.error(`usage: main-cluster.js --port P [--workers N] (bad: ${bad})`);
  process.exit(2);
}

if (cluster.isPrimary) {
  const opts = parseArgs(process.argv.slice(2));
  // Keep track of http requests
  let numReqs = 0;
  const perWorker = new Map();
  setInterval(() => {
    console.log(`numReqs = ${numReqs}`);
  }, 1000);

  // Count requests
  function messageHandler(msg) {
    if (msg.cmd && msg.cmd === 'notifyRequest') {
      numReqs += 1;
      perWorker.set(this.process.pid, (perWorker.get(this.process.pid) || 0) + 1);
    }
  }

  // Start workers and listen for messages containing notifyRequest
  for (let i = 0; i < opts.workers; i++) {
    cluster.fork({ MAIN_BENCH_PORT: String(opts.port) });
  }

  for (const id in cluster.workers) {
    cluster.workers[id].on('message', messageHandler);
  }

  cluster.on('listening', (w, address) => {
    console.log(`worker ${w.id} (pid ${w.process.pid}) listening on ${address.address}:${address.port}`);
  });
  process.on('SIGUSR2', () => {
    console.log(`per worker: ${[...perWorker].map(([pid, n]) => `${pid}=${n}`).join(' ')}`);
  });
  process.on('exit', () => { for (const w of Object.values(cluster.workers)) w.process.kill('SIGKILL'); });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
} else {
  // Workers can share any TCP connection
  // In this case it is an HTTP server
  http.Server((req, res) => {
    res.writeHead(200);
    res.end('hello world\n');

    // Notify primary about the request
    process.send({ cmd: 'notifyRequest' });
  }).listen(Number(process.env.MAIN_BENCH_PORT), '127.0.0.1');
}

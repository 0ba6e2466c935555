#!/usr/bin/env node
'use strict';
// Node `cluster` serving "Hello World" over HTTP with N workers, the peer of
// io.jcluster.bench.HttpBenchServer for `bench/run http`.
//
//   node bench/node/http-cluster.js --policy rr|none --port P [--workers N]
//
// stdout: `ready <port>` once every worker listens; stdin is the driver's
// command channel: `replace` replaces the workers one by one (fork a new one,
// wait for its 'listening', disconnect an old one, wait for its exit) and
// prints `replaced <ms>`; end of stdin disconnects every worker and exits.

const cluster = require('node:cluster');
const http = require('node:http');
const readline = require('node:readline');

const BODY = 'Hello World';

function parseArgs(argv) {
  const opts = { policy: 'rr', port: 0, workers: 2 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const val = argv[i + 1];
    if (!(key in opts) || val === undefined) usage(`${argv[i]} ${val}`);
    opts[key] = key === 'policy' ? val : Number(val);
  }
  if (!['rr', 'none'].includes(opts.policy) || !(opts.port > 0) || !(opts.workers > 0)) usage(JSON.stringify(opts));
  return opts;
}

function usage(bad) {
  console.error(`usage: http-cluster.js --policy rr|none --port P [--workers N] (bad: ${bad})`);
  process.exit(2);
}

if (cluster.isPrimary) primary(parseArgs(process.argv.slice(2))); else worker();

function worker() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
    res.end(BODY);
  });
  server.listen(Number(process.env.HTTP_BENCH_PORT), '127.0.0.1');
}

function primary(opts) {
  // Must be set before the first fork; the environment variable would do too.
  cluster.schedulingPolicy = opts.policy === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  const env = { HTTP_BENCH_PORT: String(opts.port) };
  const fork = () => new Promise((resolve) => {
    const w = cluster.fork(env);
    w.once('listening', () => resolve(w));
  });
  const exited = (w) => new Promise((resolve) => {
    if (w.isDead()) resolve(); else w.once('exit', resolve);
  });

  process.on('exit', () => { for (const w of Object.values(cluster.workers)) w.process.kill('SIGKILL'); });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));

  async function replaceAll() {
    const start = process.hrtime.bigint();
    for (const old of Object.values(cluster.workers)) {
      await fork();
      old.disconnect();
      await exited(old);
    }
    console.log(`replaced ${Math.round(Number(process.hrtime.bigint() - start) / 1e6)}`);
  }

  (async () => {
    await Promise.all(Array.from({ length: opts.workers }, fork));
    console.log(`ready ${opts.port}`);
    const lines = readline.createInterface({ input: process.stdin });
    let queue = Promise.resolve();
    lines.on('line', (line) => {
      if (line.trim() === 'replace') queue = queue.then(replaceAll);
      else console.error(`http-cluster: unknown command '${line}'`);
    });
    lines.on('close', () => queue.then(() => {
      for (const w of Object.values(cluster.workers)) w.disconnect();
      cluster.on('exit', () => { if (Object.keys(cluster.workers).length === 0) process.exit(0); });
      setTimeout(() => process.exit(0), 5000).unref();
    }));
  })().catch((e) => { console.error(e.stack || e); process.exit(1); });
}

#!/usr/bin/env node
'use strict';
// Node `cluster.fork()` -> 'online' latency, for comparison with the JVM
// process start-up. Workers are forked one at a time so that each sample
// measures one process start on an otherwise idle machine.
//
//   node bench/node/fork-peer.js [--forks N] [--max-seconds S]
//
// stdout: exactly one JSON line with the results; diagnostics go to stderr.

const cluster = require('node:cluster');

const WARMUP = 2; // first forks pay for cold disk/page caches; not counted

if (cluster.isPrimary) primary(); else worker();

// Nothing but the IPC channel keeps the worker alive. Exiting on 'disconnect'
// (cluster does this too, but make it explicit) means that a primary that
// dies, even by SIGKILL, cannot leave the worker behind.
function worker() {
  process.on('disconnect', () => process.exit(0));
}

function parseArgs(argv) {
  const opts = { forks: 10, 'max-seconds': 30 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const val = Number(argv[i + 1]);
    if (!(key in opts) || !Number.isFinite(val) || val <= 0) {
      console.error(`usage: fork-peer.js [--forks N] [--max-seconds S] (bad: ${argv[i]} ${argv[i + 1]})`);
      process.exit(2);
    }
    opts[key] = key === 'max-seconds' ? val : Math.floor(val);
  }
  return opts;
}

function primary() {
  const opts = parseArgs(process.argv.slice(2));
  let current = null; // the only worker alive at any time
  let failed = false;

  const alive = (w) => w && w.process.exitCode === null && w.process.signalCode === null;
  const killCurrent = () => { if (alive(current)) current.process.kill('SIGKILL'); };
  // Wait (briefly) for the worker to be reaped so not even a zombie is left.
  const fail = (why) => {
    if (failed) return;
    failed = true;
    console.error(`fork-peer: ${why}`);
    if (!alive(current)) process.exit(1);
    current.once('exit', () => process.exit(1));
    killCurrent();
    setTimeout(() => process.exit(1), 2000).unref();
  };
  process.on('exit', killCurrent);
  process.on('uncaughtException', (e) => fail(e.stack || e));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => fail(`got ${sig}`));
  const hardTimer = setTimeout(() => fail(`timed out after ${opts['max-seconds']} s`),
    opts['max-seconds'] * 1000);

  // One fork -> online -> SIGKILL -> exit cycle; resolves with fork-to-online ns.
  const forkOnce = () => new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const w = current = cluster.fork();
    let dt = null;
    w.once('online', () => {
      dt = process.hrtime.bigint() - t0;
      w.process.kill('SIGKILL'); // SIGKILL: no graceful-shutdown path to time
    });
    w.once('exit', (code, sig) => {
      if (failed) return;
      if (dt === null) return fail(`worker exited before online (code=${code}, signal=${sig})`);
      resolve(dt);
    });
  });

  (async () => {
    for (let i = 0; i < WARMUP; i++) await forkOnce();
    const ms = [];
    for (let i = 0; i < opts.forks; i++) ms.push(Number(await forkOnce()) / 1e6);
    clearTimeout(hardTimer);
    ms.sort((a, b) => a - b);
    const mid = ms.length >> 1;
    const median = ms.length % 2 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;
    const r = (x) => Math.round(x * 10) / 10;
    console.error(`fork-peer: samples ms ${ms.map((x) => x.toFixed(1)).join(' ')}`);
    console.log(JSON.stringify({
      fork_to_online_ms_median: r(median),
      fork_to_online_ms_min: r(ms[0]),
      fork_to_online_ms_max: r(ms[ms.length - 1]),
      forks: ms.length,
    }));
  })().catch((e) => fail(e.stack || e));
}

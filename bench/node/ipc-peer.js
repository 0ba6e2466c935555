#!/usr/bin/env node
'use strict';
// Node `cluster` IPC baseline (primary <-> one forked worker), for comparison
// with the JVM IPC. Default 'json' serialization only, so the figures are what
// a stock Node cluster gets.
//
//   node bench/node/ipc-peer.js [--messages N] [--roundtrips M] [--max-seconds S]
//
// stdout: exactly one JSON line with the results; diagnostics go to stderr.

const cluster = require('node:cluster');

const MSG_BYTES = 64;          // target size of JSON.stringify(message)
const ONEWAY_WARMUP = 20000;
const RTT_WARMUP = 2000;

// Pad so every serialized message is exactly MSG_BYTES whatever the seq width.
function makeMsg(type, seq) {
  const bare = JSON.stringify({ type, seq, pad: '' }).length;
  return { type, seq, pad: 'x'.repeat(Math.max(0, MSG_BYTES - bare)) };
}

if (cluster.isPrimary) primary(); else worker();

function parseArgs(argv) {
  const opts = { messages: 200000, roundtrips: 20000, 'max-seconds': 30 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const val = Number(argv[i + 1]);
    if (!(key in opts) || !Number.isFinite(val) || val <= 0) {
      console.error(`usage: ipc-peer.js [--messages N] [--roundtrips M] [--max-seconds S] (bad: ${argv[i]} ${argv[i + 1]})`);
      process.exit(2);
    }
    opts[key] = key === 'max-seconds' ? val : Math.floor(val);
  }
  return opts;
}

function primary() {
  const opts = parseArgs(process.argv.slice(2));
  const w = cluster.fork();
  let done = false;

  // Whatever happens, never leave the worker behind.
  const exited = () => w.process.exitCode !== null || w.process.signalCode !== null;
  const killWorker = () => { if (!exited()) w.process.kill('SIGKILL'); };
  // Wait (briefly) for the worker to be reaped so not even a zombie is left.
  const fail = (why) => {
    console.error(`ipc-peer: ${why}`);
    done = true;
    if (exited()) process.exit(1);
    w.once('exit', () => process.exit(1));
    killWorker();
    setTimeout(() => process.exit(1), 2000);
  };
  process.on('exit', killWorker);
  process.on('uncaughtException', (e) => fail(e.stack || e));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => fail(`got ${sig}`));
  setTimeout(() => fail(`timed out after ${opts['max-seconds']} s`), opts['max-seconds'] * 1000);
  w.on('exit', (code, sig) => { if (!done) fail(`worker exited early (code=${code}, signal=${sig})`); });
  w.on('error', (e) => fail(`worker error: ${e.message}`));

  const result = {};
  let onMessage = null;   // handler of the current phase
  w.on('message', (m) => onMessage(m));

  // One-way: ask the worker for a burst and time first->last arrival.
  function oneway(n, next) {
    let count = 0, t0 = 0n;
    onMessage = (m) => {
      if (m.type !== 'bench') return fail(`unexpected message ${JSON.stringify(m)}`);
      if (count++ === 0) t0 = process.hrtime.bigint();
      if (count === n) next(n > 1 ? (n - 1) * 1e9 / Number(process.hrtime.bigint() - t0) : 0);
    };
    w.send({ cmd: 'burst', n });
  }

  // Ping-pong: next ping only goes out once the echo of the previous one is in.
  function pingpong(n, next) {
    const samples = new Float64Array(n);
    const msg = makeMsg('ping', 0);
    let i = 0, t0 = 0n;
    onMessage = (m) => {
      if (m.type !== 'ping' || m.seq !== i) return fail(`bad echo ${JSON.stringify(m)}`);
      samples[i++] = Number(process.hrtime.bigint() - t0);
      if (i === n) return next(samples);
      msg.seq = i; t0 = process.hrtime.bigint(); w.send(msg);
    };
    t0 = process.hrtime.bigint(); w.send(msg);
  }

  // Nearest-rank percentile, in microseconds with 0.1 resolution.
  const pct = (sorted, p) => Math.round(sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] / 100) / 10;

  w.once('online', () => {
    console.error(`ipc-peer: worker pid ${w.process.pid} online; one-way warm-up ${ONEWAY_WARMUP}`);
    oneway(ONEWAY_WARMUP, () => oneway(opts.messages, (rate) => {
      result.oneway_msgs_per_s = Math.round(rate);
      console.error(`ipc-peer: one-way ${result.oneway_msgs_per_s} msg/s; round-trip warm-up ${RTT_WARMUP}`);
      pingpong(RTT_WARMUP, () => pingpong(opts.roundtrips, (samples) => {
        samples.sort();
        result.rtt_p50_us = pct(samples, 0.50);
        result.rtt_p99_us = pct(samples, 0.99);
        result.messages = opts.messages;
        result.roundtrips = opts.roundtrips;
        done = true;
        w.once('exit', () => process.exit(0));
        process.stdout.write(JSON.stringify(result) + '\n', killWorker);
      }));
    }));
  });
}

function worker() {
  // If the primary goes away, so do we.
  process.on('disconnect', () => process.exit(0));

  process.on('message', (m) => {
    if (m.type === 'ping') return process.send(m);   // echo straight back
    if (m.cmd !== 'burst') return;
    const n = m.n;
    const msg = makeMsg('bench', 0);
    const pads = {};  // pad per seq width keeps every message at MSG_BYTES
    let i = 0;
    // send() serializes synchronously, so one object can be reused.
    const fill = () => { const k = String(i).length; msg.seq = i++; msg.pad = pads[k] || (pads[k] = makeMsg('bench', msg.seq).pad); return msg; };
    const onSent = (err) => { if (err) { console.error(`worker send: ${err.message}`); process.exit(1); } pump(); };
    // send() returns false once the channel's write queue is backed up; then
    // the next message carries a callback and we resume only once it is flushed.
    function pump() {
      while (i < n) {
        if (!process.send(fill())) { if (i < n) process.send(fill(), onSent); return; }
      }
    }
    pump();
  });
}

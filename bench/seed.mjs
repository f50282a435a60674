#!/usr/bin/env node
// Creates N rooms in a running Convene through its public API (POST /api/v1/rooms), with a pool
// of concurrent keep-alive requests (plain http: the benchmarks run on 127.0.0.1), and writes
// one line per room to --out:
//   <roomId>\t<moderatorSecret>\t<speakerSecret>
// The wrk scripts read that file (bench/wrk/bench_common.lua, read_rooms()).
// Last stdout line: SEED_JSON {"created":..,"failed":..,"seconds":..,"rps":..}
// Exit code 1 if any room could not be created or the whole run exceeds --timeout-s.
//
//   node bench/seed.mjs --url http://127.0.0.1:6080 --api-key KEY --count 100000 --out rooms.tsv
import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    'api-key': { type: 'string' },
    count: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '64' },
    out: { type: 'string' },
    name: { type: 'string', default: 'Bench' },
    'timeout-s': { type: 'string', default: '900' },
  },
});
if (!opts.url || !opts['api-key'] || !opts.out) {
  console.error('usage: seed.mjs --url URL --api-key KEY --count N --out FILE [--concurrency 64] [--name Bench]');
  process.exit(2);
}
const base = opts.url.replace(/\/$/, '');
const count = Number(opts.count);
const concurrency = Math.max(1, Math.min(Number(opts.concurrency), count || 1));
const deadline = Date.now() + Number(opts['timeout-s']) * 1000;
const body = JSON.stringify({ roomName: opts.name });
const headers = { 'content-type': 'application/json', 'x-api-key': opts['api-key'] };

const lines = new Array(count);
let next = 0;
let created = 0;
let failed = 0;
const failures = new Map(); // message -> occurrences, so a broken server does not flood stderr

function secretOf(url) {
  try {
    return url ? new URL(url).searchParams.get('secret') ?? '' : '';
  } catch {
    return '';
  }
}

// node:http with a keep-alive agent rather than fetch(): about 4x less client CPU per request,
// which matters on a 2-core machine where the seeder competes with the server.
const target = new URL(base);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const requestOptions = {
  host: target.hostname, port: target.port || 80, path: `${target.pathname.replace(/\/$/, '')}/api/v1/rooms`,
  method: 'POST', agent, timeout: 10_000,
  headers: { ...headers, 'content-length': Buffer.byteLength(body) },
};

function post() {
  return new Promise((resolve, reject) => {
    const req = http.request(requestOptions, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out after 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

async function createOne(i) {
  for (let attempt = 1; ; attempt++) {
    try {
      const { status, text } = await post();
      if (status !== 201) throw new Error(`HTTP ${status}: ${text.slice(0, 200)}`);
      const room = JSON.parse(text);
      lines[i] = `${room.roomId}\t${secretOf(room.moderatorUrl)}\t${secretOf(room.speakerUrl)}`;
      created++;
      return;
    } catch (err) {
      // Socket-level hiccups are retried twice; HTTP errors are the server's answer, not retried.
      const retriable = !String(err.message).startsWith('HTTP ') && attempt < 3 && Date.now() < deadline;
      if (retriable) continue;
      failed++;
      const key = String(err.code ?? err.message);
      failures.set(key, (failures.get(key) ?? 0) + 1);
      return;
    }
  }
}

async function worker() {
  while (next < count && Date.now() < deadline) {
    const i = next++;
    await createOne(i);
  }
}

const started = process.hrtime.bigint();
let lastReport = Date.now();
const progress = setInterval(() => {
  if (Date.now() - lastReport >= 5000) {
    lastReport = Date.now();
    process.stderr.write(`seed: ${created}/${count} rooms\n`);
  }
}, 1000);
await Promise.all(Array.from({ length: concurrency }, worker));
clearInterval(progress);
agent.destroy();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

const notAttempted = count - created - failed;
fs.writeFileSync(opts.out, lines.filter(Boolean).join('\n') + (created ? '\n' : ''));
for (const [msg, n] of failures) console.error(`seed: ${n} x ${msg}`);
if (notAttempted > 0) console.error(`seed: timed out with ${notAttempted} rooms not attempted`);
console.log('SEED_JSON ' + JSON.stringify({
  created, failed: failed + notAttempted, seconds: Number(seconds.toFixed(3)),
  rps: Number((created / seconds).toFixed(1)),
}));
process.exit(failed + notAttempted > 0 ? 1 : 0);

#!/usr/bin/env node
// Scaling check (issue #6): the cost of one request as the data it works on grows in 10x steps.
//
//   rooms in the store      100 → 1 000 → 10 000 → 100 000   GET /api/v1/rooms/{id}, list 100
//   participants per room   10 → 100 → 1 000                 named participant token
//   same-name participants  10 → 100 → 1 000 → 10 000        participant token for "Alice"
//
// The figure that matters is the server's CPU time per request (the time every Convene thread spent on
// a CPU, from /proc/<pid>/task/*/schedstat, divided by the requests served while measuring): unlike req/s
// and latency it does not depend on how much CPU the load generator and other processes take on
// a shared machine. Throughput and client-side latency are reported alongside.
//
// Rooms: one server, seeded step by step through the API (bench/seed.mjs); at each step wrk runs
// get_room.lua (rotating over every room) and list_rooms.lua (first page of 100).
// Participants: a token request adds a participant (a reserved name) to its room, so a wrk run
// would itself grow the room far beyond the step. Instead each step fills R rooms with N
// participants, then measures K = N/10 more requests per room (the room grows by at most 10 %),
// with R·K ≈ SCALE_SAMPLES requests in all, from a keep-alive node client (SCALE_CONCURRENCY).
//
// Run through bench/scaling.sh (builds release, writes bench/results/scaling-<stamp>.json).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const env = process.env;
const list = (v, d) => (v ?? d).split(',').filter(Boolean).map(Number);
const ROOM_STEPS = list(env.SCALE_ROOMS, '100,1000,10000,100000');
const PARTICIPANT_STEPS = list(env.SCALE_PARTICIPANTS, '10,100,1000');
const SAME_NAME_STEPS = list(env.SCALE_SAME_NAME, '10,100,1000,10000');
const DURATION = env.SCALE_DURATION ?? '5s';
const SAMPLES = Number(env.SCALE_SAMPLES ?? 5000);
const CONCURRENCY = Number(env.SCALE_CONCURRENCY ?? 16);
const BINARY = env.CONVENE_BINARY ?? path.join(root, 'build/release/src/convene');
const RESULTS = env.BENCH_RESULTS_DIR ?? path.join(root, 'bench/results');
const DATA_ROOT = env.BENCH_DATA_ROOT ?? (fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());
const API_KEY = 'bench-api-key';

const tmp = fs.mkdtempSync(path.join(DATA_ROOT, 'convene-scaling-'));
const children = new Set();
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
  if (env.BENCH_KEEP_TMP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
const log = (...a) => console.error('scaling:', ...a);

// ---- processes ---------------------------------------------------------------------------------
const { startEmulator } = await import('../tests/livekit-emulator/emulator.js');
const emulator = await startEmulator({ port: 0, apiKey: 'devkey', apiSecret: 'secret' });

async function startServer(name) {
  const dataDir = path.join(tmp, name);
  fs.mkdirSync(dataDir);
  const child = spawn(BINARY, [], {
    env: {
      PATH: env.PATH, SERVER_ADDRESS: '127.0.0.1', SERVER_PORT: '0', MEET_DATA_DIR: dataDir,
      MEET_INITIAL_API_KEY: API_KEY, MEET_LOG_LEVEL: 'info',
      LIVEKIT_URL: `ws://127.0.0.1:${emulator.port}`, LIVEKIT_API_KEY: 'devkey', LIVEKIT_API_SECRET: 'secret',
      // Reservations must not expire while a step fills and measures its rooms.
      MEET_NAME_PENDING_TTL: '1h',
      // The same-name steps put up to 100 000 participants in one room.
      MEET_MAX_PARTICIPANTS_PER_ROOM: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 30000);
    const onData = (c) => {
      out += c;
      const m = /Convene listening on [^:]+:(\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`convene exited (${code}): ${out}`)));
  });
  child.stdout.resume();
  child.stderr.resume();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  return {
    child, port, agent,
    stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }).then(() => children.delete(child)),
  };
}

function cpuMs(pid) {
  // Sum of every thread's time on a CPU in ns (/proc/<pid>/task/*/schedstat): exact, where
  // utime + stime in /proc/<pid>/stat count 10 ms ticks. Convene's threads live as long as the
  // process, so no thread's time is lost between two readings.
  let ns = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between readdir and read
    }
  }
  return ns / 1e6;
}

function rssKib(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function post(server, p, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const t0 = process.hrtime.bigint();
    const req = http.request({
      host: '127.0.0.1', port: server.port, path: p, method: 'POST', agent: server.agent, timeout: 30000,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), 'x-api-key': API_KEY },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(data);
  });
}

/** Runs `count` jobs (index → promise of a response) with `concurrency` in flight; 2xx asserted. */
async function pool(count, concurrency, job) {
  let next = 0;
  const latencies = [];
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const res = await job(i);
      if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}: ${res.text.slice(0, 200)}`);
      latencies.push(res.ms);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return latencies;
}

function seed(server, count, out) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'seed.mjs'), '--url', `http://127.0.0.1:${server.port}`,
      '--api-key', API_KEY, '--count', String(count), '--out', out, '--concurrency', '64', '--timeout-s', '900'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (c) => { text += c; });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seed failed (${code}): ${text.slice(-300)}`))));
  });
}

function readRooms(file) {
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => {
    const [id, moderator, speaker] = l.split('\t');
    return { id, moderator, speaker };
  });
}

function wrk(server, script, roomsFile, duration) {
  return new Promise((resolve, reject) => {
    const child = spawn('timeout', ['-k', '5', '120', 'wrk', '-t2', '-c32', `-d${duration}`, '--latency', '--timeout', '5s',
      '-s', path.join(here, 'wrk', script), `http://127.0.0.1:${server.port}`], {
      env: { ...env, BENCH_WRK_DIR: path.join(here, 'wrk'), BENCH_API_KEY: API_KEY, BENCH_ROOMS_FILE: roomsFile, BENCH_WRK_THREADS: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (c) => { text += c; });
    child.stderr.on('data', (c) => { text += c; });
    child.once('exit', () => {
      const m = /^WRK_JSON (.*)$/m.exec(text);
      if (!m) reject(new Error(`wrk failed: ${text.slice(-500)}`));
      else resolve(JSON.parse(m[1]));
    });
  });
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : null;
};
const round = (x, d = 1) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);
const rows = [];

async function measureWrk(server, group, size, scenario, script, roomsFile) {
  await wrk(server, script, roomsFile, '1s'); // warm-up: caches, connections, allocator
  const cpu0 = cpuMs(server.child.pid);
  const r = await wrk(server, script, roomsFile, DURATION);
  const cpu = cpuMs(server.child.pid) - cpu0;
  if (r.non2xx || r.socket_errors) throw new Error(`${scenario} at ${size}: ${r.non2xx} non-2xx, ${r.socket_errors} socket errors`);
  const row = { group, size, scenario, requests: r.requests, rps: r.rps, p50_ms: r.p50_ms, p99_ms: r.p99_ms,
    cpu_us_per_request: round((cpu * 1000) / r.requests), rss_kib: rssKib(server.child.pid) };
  rows.push(row);
  log(JSON.stringify(row));
}

async function measureTokens(server, group, size, scenario, requests, job) {
  const cpu0 = cpuMs(server.child.pid);
  const t0 = Date.now();
  const lat = await pool(requests, CONCURRENCY, job);
  const seconds = (Date.now() - t0) / 1000;
  const cpu = cpuMs(server.child.pid) - cpu0;
  const row = { group, size, scenario, requests, rps: round(requests / seconds), p50_ms: round(percentile(lat, 50), 2),
    p99_ms: round(percentile(lat, 99), 2), cpu_us_per_request: round((cpu * 1000) / requests), rss_kib: rssKib(server.child.pid) };
  rows.push(row);
  log(JSON.stringify(row));
}

// ---- rooms in the store ------------------------------------------------------------------------
{
  const server = await startServer('rooms');
  const all = path.join(tmp, 'rooms-all.tsv');
  fs.writeFileSync(all, '');
  let have = 0;
  for (const n of ROOM_STEPS) {
    const part = path.join(tmp, `rooms-${n}.tsv`);
    log(`seeding ${n - have} rooms (to ${n}) ...`);
    await seed(server, n - have, part);
    fs.appendFileSync(all, fs.readFileSync(part));
    have = n;
    await measureWrk(server, 'rooms', n, 'get_room', 'get_room.lua', all);
    await measureWrk(server, 'rooms', n, 'list_rooms_100', 'list_rooms.lua', all);
  }
  await server.stop();
}

// ---- participants per room and same-name participants ------------------------------------------
async function participantSteps(group, steps, nameFor) {
  const server = await startServer(group);
  for (const n of steps) {
    const k = Math.max(1, Math.floor(n / 10));
    const r = Math.max(1, Math.ceil(SAMPLES / k));
    const file = path.join(tmp, `${group}-${n}.tsv`);
    await seed(server, r, file);
    const rooms = readRooms(file);
    log(`${group}: filling ${r} rooms with ${n} participants ...`);
    // Participant i of room j: rooms interleaved so concurrent requests hit different rooms.
    await pool(r * n, 32, (i) => post(server, '/internal-api/v1/participants/token',
      { roomId: rooms[i % r].id, secret: rooms[i % r].speaker, participantName: nameFor(Math.floor(i / r)) }));
    await measureTokens(server, group, n, `named token (${k} more per room, ${r} rooms)`, r * k, (i) =>
      post(server, '/internal-api/v1/participants/token',
        { roomId: rooms[i % r].id, secret: rooms[i % r].speaker, participantName: nameFor(n + Math.floor(i / r)) }));
  }
  await server.stop();
}
await participantSteps('participants', PARTICIPANT_STEPS, (i) => `Guest ${i}`);
await participantSteps('same_name', SAME_NAME_STEPS, () => 'Alice');
await emulator.close();

// ---- report ------------------------------------------------------------------------------------
function growth(group, scenario) {
  const sel = rows.filter((r) => r.group === group && r.scenario.startsWith(scenario));
  if (sel.length < 2) return null;
  const first = sel[0];
  const last = sel[sel.length - 1];
  const costRatio = last.cpu_us_per_request / first.cpu_us_per_request;
  const sizeRatio = last.size / first.size;
  // cost ∝ size^e: e ≈ 0 flat, e ≈ 1 linear; a small e with a steady rise per step is logarithmic.
  const exponent = Math.log(costRatio) / Math.log(sizeRatio);
  const verdict = costRatio < 1.3 ? 'flat' : exponent < 0.2 ? 'logarithmic' : exponent < 0.8 ? 'sub-linear' : 'linear';
  return { group, scenario, from: first.size, to: last.size, cost_ratio: round(costRatio, 2), exponent: round(exponent, 3), verdict };
}
const growths = [growth('rooms', 'get_room'), growth('rooms', 'list_rooms_100'), growth('participants', 'named'), growth('same_name', 'named')].filter(Boolean);
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
fs.mkdirSync(RESULTS, { recursive: true });
const result = { type: 'scaling', timestamp: stamp, machine: { nproc: os.cpus().length, loadavg: os.loadavg() },
  config: { duration: DURATION, samples: SAMPLES, concurrency: CONCURRENCY, binary: BINARY, data_root: DATA_ROOT }, rows, growths };
fs.writeFileSync(path.join(RESULTS, `scaling-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
fs.writeFileSync(path.join(RESULTS, 'scaling-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log('| Group | Size | Scenario | req/s | p50 ms | p99 ms | server CPU µs/request | RSS MiB |');
console.log('|---|---:|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.group} | ${r.size.toLocaleString('en-US')} | ${r.scenario} | ${Math.round(r.rps)} | ${r.p50_ms} | ${r.p99_ms} | ${r.cpu_us_per_request} | ${round(r.rss_kib / 1024)} |`);
}
console.log('');
for (const g of growths) {
  console.log(`${g.group}/${g.scenario}: ${g.from} → ${g.to}: cost x${g.cost_ratio} (exponent ${g.exponent}): ${g.verdict}`);
}
console.log(`results: ${path.join(RESULTS, `scaling-${stamp}.json`)}`);

// Running out of file descriptors: with RLIMIT_NOFILE held low and more idle connections open
// than the limit, the accept loop must neither spin (CPU time from /proc/<pid>/stat) nor flood the
// log; connections beyond SERVER_MAX_CONNECTIONS are refused at once with a 503 and counted
// (convene_http_connections_shed_total); and the server answers again once the idle connections
// close. Spec: README "Configuration" (SERVER_MAX_CONNECTIONS).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { metricTotal, request, startConvene } from './support/convene.mjs';

const FD_LIMIT = 256;
const IDLE_CONNECTIONS = 400; // more than the descriptor limit
const WINDOW_MS = 3000;
// An idle server burns ~0 s of CPU in the window. The spinning accept loop burned a core, or on
// this shared 2-core machine under load at least ~0.45 s (the log pipe slowing it down).
const MAX_CPU_SECONDS = 0.25;
// Each failure used to be one log line (~7 MB/s); now a condition is logged once per 10 s.
const MAX_LOG_BYTES = 4096;

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15). */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Opens `count` connections that never send a byte; each records what the server sent it. */
async function openIdle(port, count) {
  const sockets = await Promise.all(Array.from({ length: count }, () => new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.received = '';
    socket.on('data', (chunk) => { socket.received += chunk.toString(); });
    socket.on('error', () => {}); // a shed connection may be reset
    socket.once('connect', () => resolve(socket));
    socket.once('close', () => resolve(socket));
  })));
  return sockets;
}

async function waitForHealth(server, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(server.url, 'GET', '/health', { timeoutMs: 1000 }).catch(() => ({ status: 0 }));
    if (res.status === 200) return res;
    if (Date.now() > deadline) assert.fail('GET /health did not answer after the idle connections closed');
    await sleep(100);
  }
}

/** CPU seconds and log bytes the server spends over WINDOW_MS while the connections stay open. */
async function measureWindow(server) {
  const pid = server.child.pid;
  const cpuBefore = cpuSeconds(pid);
  const logBefore = server.logs().length;
  await sleep(WINDOW_MS);
  return { cpu: cpuSeconds(pid) - cpuBefore, logBytes: server.logs().length - logBefore };
}

const servers = [];
after(async () => {
  for (const s of servers) await s.close();
});

describe(`RLIMIT_NOFILE=${FD_LIMIT} and ${IDLE_CONNECTIONS} idle connections`, () => {
  it('default SERVER_MAX_CONNECTIONS: the excess is refused with 503 and counted; no spin, no log flood', async () => {
    const server = await startConvene({ fdLimit: FD_LIMIT });
    servers.push(server);
    const cap = Number(/accepting at most (\d+) connections \(RLIMIT_NOFILE (\d+)\)/.exec(server.logs())?.[1]);
    assert.ok(cap > 0 && cap < FD_LIMIT, `the default cap leaves descriptors in reserve: ${cap}`);

    const sockets = await openIdle(server.port, IDLE_CONNECTIONS);
    await sleep(500); // let the server accept (or refuse) them all
    const { cpu, logBytes } = await measureWindow(server);
    console.log(`# window: ${cpu.toFixed(3)} s CPU, ${logBytes} log bytes`);
    assert.ok(cpu < MAX_CPU_SECONDS, `${cpu.toFixed(2)} s of CPU in ${WINDOW_MS} ms`);
    assert.ok(logBytes < MAX_LOG_BYTES, `${logBytes} bytes of log in ${WINDOW_MS} ms`);
    const refused = sockets.filter((s) => s.received.startsWith('HTTP/1.1 503 '));
    assert.ok(refused.length > 0, 'connections beyond the cap got a 503');
    assert.match(refused[0].received, /Retry-After: 1\r\n/);
    assert.match(refused[0].received, /"message":"Too many open connections"/);
    assert.match(server.logs(), /connection\(s\) refused since the last report: \d+ open, at the SERVER_MAX_CONNECTIONS cap/);

    for (const s of sockets) s.destroy();
    await waitForHealth(server);
    const shed = await metricTotal(server, 'convene_http_connections_shed_total');
    assert.ok(shed >= IDLE_CONNECTIONS - cap, `shed ${shed}, expected at least ${IDLE_CONNECTIONS - cap}`);
    assert.equal((await request(server.url, 'GET', '/api/v1/rooms', { headers: { 'x-api-key': 'meet-api-key' } })).status, 200,
      'the store still works: its descriptors were kept in reserve');
  });

  // Not against an instrumented binary (the ASan+UBSan and TSan passes): the sanitizer runtimes
  // need file descriptors of their own for their checks (UBSan's vptr check opens a pipe to probe
  // memory), so a process that is really out of them reports false errors. The plain passes run it.
  const sanitized = Boolean(process.env.CONVENE_SANITIZER_REPORTS);
  it('SERVER_MAX_CONNECTIONS above the limit: failing accepts back off instead of spinning, then recover', {
    skip: sanitized && 'the sanitizer runtimes cannot run out of file descriptors themselves',
  }, async () => {
    const server = await startConvene({ fdLimit: FD_LIMIT, env: { SERVER_MAX_CONNECTIONS: '100000' } });
    servers.push(server);
    assert.match(server.logs(), /SERVER_MAX_CONNECTIONS=100000 leaves fewer than \d+ of the 256 file descriptors/);

    const sockets = await openIdle(server.port, IDLE_CONNECTIONS);
    await sleep(500);
    const { cpu, logBytes } = await measureWindow(server);
    console.log(`# window: ${cpu.toFixed(3)} s CPU, ${logBytes} log bytes`);
    assert.ok(cpu < MAX_CPU_SECONDS, `${cpu.toFixed(2)} s of CPU in ${WINDOW_MS} ms`);
    assert.ok(logBytes < MAX_LOG_BYTES, `${logBytes} bytes of log in ${WINDOW_MS} ms`);
    const acceptFailures = server.logs().match(/accept failed: [^\n]*/g) ?? [];
    assert.ok(acceptFailures.length >= 1 && acceptFailures.length <= 2, acceptFailures.join('\n'));
    assert.match(acceptFailures[0], /Too many open files/);

    for (const s of sockets) s.destroy();
    await waitForHealth(server);
    assert.ok(await metricTotal(server, 'convene_http_accept_errors_total') > 0);
  });
});

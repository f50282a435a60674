// Starts the real Convene binary for end-to-end tests: a free port on 127.0.0.1, a throw-away
// data directory, and helpers to stop, kill (SIGKILL) and restart it on the same data.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
export const conveneBinary =
  process.env.CONVENE_BINARY ?? path.join(repoRoot, 'build', 'debug', 'src', 'convene');

export const API_KEY = 'meet-api-key';

function waitForListening(child, timeoutMs) {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      reject(new Error(`convene did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk) => {
      output += chunk.toString();
      const m = /Convene listening on [^:]+:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`convene exited early (code ${code}, signal ${signal}):\n${output}`));
    });
    // A missing or non-executable binary fails at once instead of waiting for the timeout.
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${conveneBinary}: ${err.message}`));
    });
  });
}

// A sanitizer report from an instrumented binary (make test-asan / test-tsan / e2e-test-asan):
// AddressSanitizer and LeakSanitizer errors (a leak is reported at exit, after every test of the
// process has passed), UBSan's "runtime error:" lines and ThreadSanitizer warnings.
const SANITIZER_REPORT = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|WARNING: ThreadSanitizer/;

/**
 * When CONVENE_SANITIZER_REPORTS names a directory, the whole output of every Convene process
 * that printed a sanitizer report is written there, and the Makefile fails the run when the
 * directory is not empty: the tests cannot see a report printed after their last request.
 */
function recordSanitizerReport(pid, output) {
  if (!SANITIZER_REPORT.test(output)) return;
  console.error(`# convene (pid ${pid}) printed a sanitizer report`);
  const dir = process.env.CONVENE_SANITIZER_REPORTS;
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `convene-${pid}.log`), output);
  }
}

/**
 * Starts Convene. `env` overrides the defaults below; `fdLimit` runs it under `prlimit` with that
 * RLIMIT_NOFILE (soft and hard), the pid staying Convene's. Returns a handle:
 *   { url, port, dataDir, child, logs(), stop(), kill(), restart() }
 */
export async function startConvene({ env = {}, dataDir, timeoutMs = 15000, fdLimit } = {}) {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'convene-e2e-'));
  const handle = { dataDir: dir, child: null, port: 0, url: '', output: [] };
  const launch = async (port) => {
    // prlimit sets the limit on itself and then execs Convene, so child.pid is Convene's.
    const [command, args] = fdLimit === undefined
      ? [conveneBinary, []]
      : ['prlimit', [`--nofile=${fdLimit}:${fdLimit}`, conveneBinary]];
    const child = spawn(command, args, {
      env: {
        PATH: process.env.PATH,
        // Sanitizer settings reach an instrumented binary (make test-asan / test-tsan).
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(A|T|UB|L)SAN_OPTIONS$/.test(k))),
        SERVER_ADDRESS: '127.0.0.1',
        SERVER_PORT: String(port),
        MEET_DATA_DIR: dir,
        MEET_INITIAL_API_KEY: API_KEY,
        MEET_LOG_LEVEL: 'info',
        SERVER_THREADS: '2',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const own = []; // this process's output, for the sanitizer check when it ends
    const collect = (c) => {
      handle.output.push(c.toString());
      own.push(c.toString());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('close', () => recordSanitizerReport(child.pid, own.join('')));
    handle.child = child;
    try {
      handle.port = await waitForListening(child, timeoutMs);
    } catch (err) {
      // A server that never said it listens (e.g. a log level above info hides the line) would
      // otherwise outlive the test process.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      throw err;
    }
    handle.url = `http://${env.SERVER_ADDRESS ?? '127.0.0.1'}:${handle.port}`;
  };
  await launch(0);

  handle.logs = () => handle.output.join('');
  const waitExit = (signal) =>
    new Promise((resolve) => {
      if (handle.child.exitCode !== null || handle.child.signalCode !== null) {
        resolve({ code: handle.child.exitCode, signal: handle.child.signalCode });
        return;
      }
      const timer = setTimeout(() => handle.child.kill('SIGKILL'), 15000);
      handle.child.once('exit', (code, sig) => {
        clearTimeout(timer);
        resolve({ code, signal: sig });
      });
      handle.child.kill(signal);
    });
  /** Graceful stop (SIGTERM); resolves with the exit status. */
  handle.stop = () => waitExit('SIGTERM');
  /** Crash (SIGKILL). */
  handle.kill = () => waitExit('SIGKILL');
  /** Starts again on the same data directory, on the same port when possible. */
  handle.restart = async () => {
    try {
      await launch(handle.port);
    } catch {
      await launch(0);
    }
  };
  /** Stops the server and removes the data directory. */
  handle.close = async () => {
    await handle.stop();
    if (!dataDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  return handle;
}

/** fetch with a bounded time; returns {status, headers, body (parsed JSON or text), text}. */
export async function request(baseUrl, method, pathAndQuery, { headers = {}, body, json, timeoutMs = 10000 } = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
  if (json !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  const res = await fetch(baseUrl + pathAndQuery, init);
  const text = await res.text();
  let parsed = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text.length > 0) {
    parsed = JSON.parse(text);
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/**
 * The value of one Prometheus sample (`name{labels}` exactly as exposed) summed over the
 * server's instances: one for startConvene, each instance of a startCluster (counters are per
 * instance, and only the leader counts some). Resolves to null when no instance exposes it.
 */
export async function metricTotal(server, sample) {
  const urls = server.instances ? server.instances.map((i) => i.url) : [server.url];
  let total = null;
  for (const url of urls) {
    const res = await request(url, 'GET', '/metrics');
    if (res.status !== 200) throw new Error(`GET ${url}/metrics answered ${res.status}`);
    for (const line of res.text.split('\n')) {
      if (line.startsWith(`${sample} `)) total = (total ?? 0) + Number(line.slice(sample.length + 1));
    }
  }
  return total;
}

/** A client bound to one server and the API key. */
export function apiClient(server, { apiKey = API_KEY } = {}) {
  const auth = apiKey ? { 'x-api-key': apiKey } : {};
  const call = (method) => (p, opts = {}) =>
    request(server.url, method, p, { ...opts, headers: { ...auth, ...(opts.headers ?? {}) } });
  return { get: call('GET'), post: call('POST'), put: call('PUT'), del: call('DELETE'), patch: call('PATCH') };
}

// ------------------------------------------------------------------ admin authentication helpers
// (reference-api.md §3.2, §4.6, §9.3; convene-deviations.md §1.2)

export const ADMIN_USER = 'admin';
export const ADMIN_PASSWORD = 'admin';
export const ACCESS_COOKIE = 'OvMeetAccessToken';
export const REFRESH_COOKIE = 'OvMeetRefreshToken';
export const PARTICIPANT_COOKIE = 'OvMeetParticipantToken';

/** `authorization: Bearer <token>` (header transport mode). */
export function bearer(token) {
  return { authorization: `Bearer ${token}` };
}

/** A Cookie header carrying `name=value` pairs, e.g. cookieHeader({OvMeetAccessToken: t}). */
export function cookieHeader(pairs) {
  return { cookie: Object.entries(pairs).map(([k, v]) => `${k}=${v}`).join('; ') };
}

/** Every Set-Cookie line of a response (undici keeps them apart). */
export function setCookieLines(res) {
  return typeof res.headers.getSetCookie === 'function' ? res.headers.getSetCookie() : [];
}

/**
 * Parses one Set-Cookie line: {name, value, attributes: {lower-cased name: value or true}, order: [names]}.
 */
export function parseSetCookie(line) {
  const [pair, ...attrs] = line.split(';').map((p) => p.trim());
  const eq = pair.indexOf('=');
  const out = { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes: {}, order: [] };
  for (const a of attrs) {
    if (!a) continue;
    const i = a.indexOf('=');
    const key = (i < 0 ? a : a.slice(0, i)).toLowerCase();
    out.attributes[key] = i < 0 ? true : a.slice(i + 1);
    out.order.push(key);
  }
  return out;
}

/** The parsed Set-Cookie for `name`, or undefined; throws if the response sets it twice. */
export function findSetCookie(res, name) {
  const all = setCookieLines(res).map(parseSetCookie).filter((c) => c.name === name);
  if (all.length > 1) throw new Error(`Set-Cookie ${name} appears ${all.length} times`);
  return all[0];
}

/** POST /internal-api/v1/auth/login (raw response). */
export function loginRequest(baseUrl, { username = ADMIN_USER, password = ADMIN_PASSWORD, headers = {} } = {}) {
  return request(baseUrl, 'POST', '/internal-api/v1/auth/login', { json: { username, password }, headers });
}

/**
 * Logs in and returns {accessToken, refreshToken} whatever the transport mode: from the JSON body
 * in header mode, from the cookies in cookie mode. Throws unless the answer is 200.
 */
export async function loginTokens(baseUrl, opts = {}) {
  const res = await loginRequest(baseUrl, opts);
  if (res.status !== 200) throw new Error(`login failed: HTTP ${res.status} ${res.text}`);
  if (res.body && typeof res.body.accessToken === 'string') {
    return { accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
  }
  return {
    accessToken: findSetCookie(res, ACCESS_COOKIE)?.value,
    refreshToken: findSetCookie(res, REFRESH_COOKIE)?.value,
  };
}

/** Credentials for an access token in a transport mode ('header' | 'cookie'). */
export function accessCredentials(token, mode = 'header') {
  return mode === 'cookie' ? cookieHeader({ [ACCESS_COOKIE]: token }) : bearer(token);
}

/** The body of PUT /internal-api/v1/config/security. */
export function securityConfigBody({ transport = 'header', authMode = 'none' } = {}) {
  return {
    authentication: {
      authMethod: { type: 'single_user' },
      authTransportMode: transport,
      authModeToAccessRoom: authMode,
    },
  };
}

/**
 * An admin logged in to one server, following the transport mode it sets:
 *   { accessToken, refreshToken, mode, authMode, headers(), call(method, path, opts), setSecurity({transport, authMode}) }
 * `setSecurity` asserts 200 and remembers the new mode, so later calls use the right transport.
 */
export async function adminSession(server, { username = ADMIN_USER, password = ADMIN_PASSWORD } = {}) {
  const baseUrl = typeof server === 'string' ? server : server.url;
  const tokens = await loginTokens(baseUrl, { username, password });
  const session = {
    ...tokens,
    mode: 'header',
    authMode: 'none',
    headers() {
      return accessCredentials(session.accessToken, session.mode);
    },
    call(method, p, opts = {}) {
      return request(baseUrl, method, p, { ...opts, headers: { ...session.headers(), ...(opts.headers ?? {}) } });
    },
    async setSecurity({ transport = session.mode, authMode = session.authMode } = {}) {
      const res = await session.call('PUT', '/internal-api/v1/config/security', {
        json: securityConfigBody({ transport, authMode }),
      });
      if (res.status !== 200) throw new Error(`PUT security failed: HTTP ${res.status} ${res.text}`);
      session.mode = transport;
      session.authMode = authMode;
      return res;
    },
  };
  const current = await request(baseUrl, 'GET', '/internal-api/v1/config/security');
  if (current.status === 200 && current.body?.authentication) {
    session.mode = current.body.authentication.authTransportMode;
    session.authMode = current.body.authentication.authModeToAccessRoom;
  }
  return session;
}

/**
 * A compact JWS with exactly `header` and `payload`, signed with `key` (string or Buffer).
 * alg HS256/HS384/HS512 sign with HMAC; alg "none" (or signature: '') gives an empty signature.
 */
export function forgeJwt(payload, { key = 'secret', header = { alg: 'HS256' }, signature } = {}) {
  const enc = (o) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');
  const head = `${enc(header)}.${enc(payload)}`;
  if (signature !== undefined) return `${head}.${signature}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[header.alg];
  if (!hash) return `${head}.`;
  return `${head}.${createHmac(hash, key).update(head).digest('base64url')}`;
}

/**
 * A local HTTP receiver on 127.0.0.1 for outgoing webhooks: records every request
 * ({method, url, headers, body}) and answers `status` (changeable with setStatus).
 */
export async function startWebhookReceiver({ status = 200 } = {}) {
  const received = [];
  let answer = status;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.statusCode = answer;
      res.end(answer >= 400 ? 'nope' : 'ok');
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    setStatus(s) { answer = s; },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

/** A 127.0.0.1 port that was free a moment ago (nothing listens on it). */
export async function closedPort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/**
 * Starts Convene with `env` in a throw-away data directory expecting it to refuse to start;
 * resolves with the error (its message holds the server's output). Throws if it did start.
 */
export async function startConveneExpectingFailure(env, { timeoutMs = 10000 } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-e2e-'));
  let started;
  try {
    started = await startConvene({ env, dataDir, timeoutMs });
  } catch (err) {
    return err;
  } finally {
    if (started) await started.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  throw new Error(`convene started with ${JSON.stringify(env)}`);
}

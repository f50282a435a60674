// Shared helpers for the emulator's own tests (kept out of test/ so that
// `node --test test/` does not treat this file as a test file).
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { AccessToken, RoomServiceClient, WebhookReceiver } from 'livekit-server-sdk';
import { startEmulator } from '../emulator.js';

export const API_KEY = 'devkey';
export const API_SECRET = 'secret';

/** Starts an in-process emulator and registers its shutdown with the test context. */
export async function startEmu(t, options = {}) {
  const emu = await startEmulator({ apiKey: API_KEY, apiSecret: API_SECRET, fast: true, ...options });
  t.after(() => emu.close());
  return emu;
}

/** A RoomServiceClient with a short timeout, so no SDK call can hang a test. */
export function roomClient(emu, { apiKey = API_KEY, apiSecret = API_SECRET } = {}) {
  return new RoomServiceClient(emu.url, apiKey, apiSecret, { requestTimeout: 5 });
}

/** Mints a join token like Convene (or any Node backend) does. */
export async function joinToken({
  room,
  identity,
  name,
  metadata,
  attributes,
  grant = {},
  ttl,
  kind,
  apiKey = API_KEY,
  apiSecret = API_SECRET,
}) {
  const at = new AccessToken(apiKey, apiSecret, { identity, name, metadata, attributes, ttl });
  at.addGrant({ roomJoin: true, room, ...grant });
  if (kind) at.kind = kind;
  return at.toJwt();
}

/** Mints a server-API token carrying exactly `video`. */
export async function apiToken(video, { apiKey = API_KEY, apiSecret = API_SECRET, ttl } = {}) {
  const at = new AccessToken(apiKey, apiSecret, { ttl });
  at.addGrant(video);
  return at.toJwt();
}

/** POSTs raw JSON to a RoomService method; returns {status, contentType, text, json}. */
export async function twirp(emu, method, body, { token, headers = {}, rawBody, httpMethod = 'POST' } = {}) {
  const h = { 'Content-Type': 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  const res = await fetch(`${emu.url}/twirp/livekit.RoomService/${method}`, {
    method: httpMethod,
    headers: h,
    body: httpMethod === 'GET' ? undefined : rawBody ?? JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // plain-text body
  }
  return { status: res.status, contentType: res.headers.get('content-type'), text, json };
}

/** Calls a /_test/ route over HTTP. */
export async function testApi(emu, method, path, body) {
  const res = await fetch(`${emu.url}/_test/${path}`, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // plain-text body
  }
  return { status: res.status, text, json, contentType: res.headers.get('content-type') };
}

/**
 * A local webhook receiver on 127.0.0.1 that verifies every request with the SDK's
 * WebhookReceiver. `respond(req, n)` may return a status code to answer with.
 */
export async function startReceiver(t, { apiKey = API_KEY, apiSecret = API_SECRET, respond } = {}) {
  const verifier = new WebhookReceiver(apiKey, apiSecret);
  const requests = [];
  const events = [];
  const errors = [];
  let waiters = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks).toString('utf8');
    const n = requests.length;
    requests.push({ method: req.method, headers: req.headers, body });
    const status = respond ? respond(req, n) : 200;
    if (status >= 200 && status < 300) {
      try {
        events.push(await verifier.receive(body, req.headers.authorization));
      } catch (err) {
        errors.push(err);
      }
    }
    res.writeHead(status).end();
    const ws = waiters;
    waiters = [];
    ws.forEach((w) => w());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  const url = `http://127.0.0.1:${server.address().port}/livekit/webhook`;

  /** Waits until `pred()` holds, re-checking after every received request. */
  async function waitFor(pred, timeoutMs = 3000) {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`webhook condition not met within ${timeoutMs} ms (got ${events.map((e) => e.event).join(',')})`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
  return { url, requests, events, errors, waitFor, server };
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Asserts that `promise` rejects with a livekit-server-sdk ServerError of that status/code. */
export async function rejectsWith(assert, promise, { status, code, message }) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.status, status, `status (err: ${err.message})`);
    if (code !== undefined) assert.equal(err.code, code);
    if (message !== undefined) assert.match(err.message, message instanceof RegExp ? message : new RegExp(message));
    return true;
  });
}

/** Hand-made HS* JWT, for claims the SDK refuses to produce (no exp, roomJoin without sub...). */
export function signJwt(payload, { secret = API_SECRET, alg = 'HS256' } = {}) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg })}.${enc(payload)}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  return `${head}.${createHmac(hash, secret).update(head).digest('base64url')}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A loopback URL on which nothing listens (a port just released by the OS). */
export async function deadUrl(path = '/livekit/webhook') {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}${path}`;
}

/** Races `promise` against a timer that is always cleared (so it never delays exit). */
export async function withTimeout(promise, ms, label = 'operation') {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

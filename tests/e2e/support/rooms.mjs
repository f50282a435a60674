// Shared helpers for the rooms end-to-end tests: expected shapes from reference-api.md §4–§6,
// assertion helpers for error bodies (§2.2, §2.3) and a raw-socket client for HTTP edge cases.
import assert from 'node:assert/strict';
import net from 'node:net';

export const DEFAULT_CONFIG = Object.freeze({
  recording: { enabled: true, allowAccessTo: 'admin_moderator_speaker' },
  chat: { enabled: true },
  virtualBackground: { enabled: true },
});

export const DEFAULT_POLICY = Object.freeze({ withMeeting: 'when_meeting_ends', withRecordings: 'close' });

/** Key order of a MeetRoom as produced on create (§5.1); autoDeletionDate only when set. */
export function expectedRoomKeys({ withDate = false } = {}) {
  return [
    'roomId',
    'roomName',
    'creationDate',
    ...(withDate ? ['autoDeletionDate'] : []),
    'autoDeletionPolicy',
    'config',
    'moderatorUrl',
    'speakerUrl',
    'status',
    'meetingEndAction',
  ];
}

/** roomId = sanitised name without whitespace + '-' + 15 lowercase hex chars (§6.3, brief). */
export function roomIdPattern(prefix) {
  return new RegExp(`^${escapeRe(prefix)}-[0-9a-f]{15}$`);
}

export function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `permissions` of GET /internal-api/v1/rooms/{id}/roles (§4.2). */
export function permissionsFor(roomId, role) {
  return {
    livekit: {
      roomJoin: true,
      room: roomId,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
      canUpdateOwnMetadata: true,
    },
    openvidu: { canRecord: role === 'moderator', canChat: true, canChangeVirtualBackground: true },
  };
}

export function secretOf(url) {
  return new URL(url).searchParams.get('secret');
}

function describeRes(res) {
  return `HTTP ${res.status}: ${typeof res.text === 'string' ? res.text.slice(0, 2000) : ''}`;
}

/** Asserts status and an exact `{error, message}` body. */
export function assertError(res, status, error, message) {
  assert.equal(res.status, status, describeRes(res));
  assert.match(res.headers.get('content-type') ?? '', /application\/json/, 'error bodies are JSON');
  assert.deepEqual(res.body, { error, message }, describeRes(res));
}

/** Asserts a 422 validation error whose details are exactly `details` (order-insensitive). */
export function assertValidation(res, details) {
  assert.equal(res.status, 422, describeRes(res));
  assert.equal(res.body.error, 'Unprocessable Entity', describeRes(res));
  assert.equal(res.body.message, 'Invalid request', describeRes(res));
  assert.deepEqual(Object.keys(res.body).sort(), ['details', 'error', 'message'], describeRes(res));
  const key = (d) => `${d.field}\u0000${d.message}`;
  assert.deepEqual([...res.body.details].sort((a, b) => (key(a) < key(b) ? -1 : 1)),
    [...details].sort((a, b) => (key(a) < key(b) ? -1 : 1)), describeRes(res));
}

/** Asserts a 422 validation error whose details include `detail` (other details allowed). */
export function assertValidationIncludes(res, detail) {
  assert.equal(res.status, 422, describeRes(res));
  assert.equal(res.body.error, 'Unprocessable Entity', describeRes(res));
  assert.equal(res.body.message, 'Invalid request', describeRes(res));
  assert.ok(Array.isArray(res.body.details), describeRes(res));
  const found = res.body.details.some((d) =>
    d.field === detail.field && (detail.message === undefined || d.message === detail.message));
  assert.ok(found, `expected a detail ${JSON.stringify(detail)}; got ${describeRes(res)}`);
}

export function assertStatus(res, status) {
  assert.equal(res.status, status, describeRes(res));
}

/** POST /api/v1/rooms expecting 201; returns the room. */
export async function createRoom(api, body = {}) {
  const res = await api.post('/api/v1/rooms', { json: body });
  assertStatus(res, 201);
  return res.body;
}

/** Creates `count` rooms with at most `parallel` requests in flight. */
export async function createRooms(api, count, bodyFor, { parallel = 25 } = {}) {
  const out = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await createRoom(api, typeof bodyFor === 'function' ? bodyFor(i) : bodyFor ?? {});
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return out;
}

/**
 * Walks every page of GET /api/v1/rooms with the given query; returns {rooms, pages}.
 * Bounded: at most `maxPages` requests.
 */
export async function listAllRooms(api, query = '', { maxPages = 200 } = {}) {
  const rooms = [];
  const pages = [];
  let token;
  for (let i = 0; i < maxPages; i++) {
    const sep = query ? '&' : '';
    const q = query + (token ? `${sep}nextPageToken=${encodeURIComponent(token)}` : '');
    const res = await api.get(`/api/v1/rooms${q ? `?${q}` : ''}`);
    assertStatus(res, 200);
    pages.push(res.body);
    rooms.push(...res.body.rooms);
    if (!res.body.pagination.isTruncated) return { rooms, pages };
    token = res.body.pagination.nextPageToken;
    assert.equal(typeof token, 'string', 'a truncated page carries a nextPageToken');
  }
  throw new Error(`pagination did not end within ${maxPages} pages`);
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes; returns the value or undefined. */
export async function waitFor(fn, { timeoutMs = 10000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

/**
 * Raw TCP exchange with the server on 127.0.0.1. `parts` are written in order; after each part
 * except the last we wait `gapMs` and stop writing if the server already answered (so a server that
 * rejects early is not hit by a reset while it closes). Resolves with
 * {raw, status, headers, body, closed, error} after the peer closes or `timeoutMs` passes.
 */
export function rawExchange(port, parts, { timeoutMs = 5000, gapMs = 150 } = {}) {
  return new Promise((resolve) => {
    const chunks = [];
    let closed = false;
    let error = null;
    let finished = false;
    const socket = net.createConnection({ host: '127.0.0.1', port });
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('latin1');
      resolve({ ...parseRawResponse(raw), raw, closed, error });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => {
      closed = true;
      finish();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', (e) => {
      error = e;
    });
    socket.once('connect', async () => {
      const list = Array.isArray(parts) ? parts : [parts];
      for (let i = 0; i < list.length; i++) {
        if (finished || socket.destroyed) return;
        if (i > 0 && chunks.length > 0) return; // already answered
        socket.write(list[i]);
        if (i < list.length - 1) await sleep(gapMs);
      }
    });
  });
}

/** Parses the first HTTP/1.1 response in `raw` (Content-Length or chunked). */
export function parseRawResponse(raw) {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) return { status: 0, headers: {}, body: '' };
  const lines = raw.slice(0, headEnd).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  const headers = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.slice(headEnd + 4);
  if (headers['content-length'] !== undefined) {
    body = body.slice(0, Number(headers['content-length']));
  } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    let out = '';
    let rest = body;
    for (;;) {
      const nl = rest.indexOf('\r\n');
      if (nl < 0) break;
      const size = parseInt(rest.slice(0, nl), 16);
      if (!size) break;
      out += rest.slice(nl + 2, nl + 2 + size);
      rest = rest.slice(nl + 2 + size + 2);
    }
    body = out;
  }
  let json;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: m ? Number(m[1]) : 0, headers, body, json };
}

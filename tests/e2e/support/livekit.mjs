// A full test stack for the participant and meeting end-to-end tests: the real Convene binary
// wired to an in-process strict LiveKit emulator (tests/livekit-emulator), plus helpers to mint,
// decode and verify LiveKit tokens, to join/leave fake participants, to read what the emulator
// recorded (rooms, participants, data packets, webhooks, Twirp calls) and to sign LiveKit webhooks.
//
// Importing the LiveKit SDK from here (tests/e2e has no node_modules of its own):
//   The emulator's dependencies live in tests/livekit-emulator/node_modules. A bare specifier
//   ('livekit-server-sdk') does not resolve from tests/e2e, and createRequire(...) would resolve
//   the CommonJS build (the "require" export condition). The ESM build is therefore imported by
//   its relative file path (package "main" = dist/index.js, an ES module); its own imports
//   ('jose', '@livekit/protocol') then resolve from inside that node_modules tree, and
//   emulator.js (imported the same way) shares the very same module instances.
//   If the directory is missing: `cd tests/livekit-emulator && npm ci`.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_KEY, apiClient, metricTotal, request, startConvene } from './convene.mjs';
import { startCluster } from './cluster.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const emulatorDir = path.resolve(here, '../../livekit-emulator');
if (!fs.existsSync(path.join(emulatorDir, 'node_modules', 'livekit-server-sdk'))) {
  throw new Error(`livekit-server-sdk is missing: run \`cd ${emulatorDir} && npm ci\``);
}

const sdk = await import('../../livekit-emulator/node_modules/livekit-server-sdk/dist/index.js');
const { startEmulator } = await import('../../livekit-emulator/emulator.js');

export const { AccessToken, TokenVerifier, WebhookReceiver, RoomServiceClient } = sdk;

export const LK_API_KEY = 'devkey';
export const LK_API_SECRET = 'secret';
export const MEET_NAME_ID = 'openviduMeet';
export { API_KEY, metricTotal, request };

export const ROLE_UPDATED_TOPIC = 'meet_participant_role_updated';
export const CONFIG_UPDATED_TOPIC = 'meet_room_config_updated';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Polls `predicate()` (sync or async) until truthy; returns the value; throws after timeoutMs. */
export async function waitFor(predicate, timeoutMs = 5000, { intervalMs = 25, label = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await predicate();
    } catch (err) {
      last = undefined;
      if (Date.now() >= deadline) throw err;
    }
    if (last) return last;
    if (Date.now() >= deadline) throw new Error(`${label} not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

// ------------------------------------------------------------------ JWT helpers

/** Decodes a compact JWS without verifying it: {header, payload}. */
export function decodeJwt(token) {
  const parts = String(token).split('.');
  assert.equal(parts.length, 3, `not a compact JWS: ${token}`);
  const dec = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  return { header: dec(parts[0]), payload: dec(parts[1]) };
}

/** Parses the `metadata` claim (a JSON string) of a participant token. */
export function tokenMetadata(token) {
  const { payload } = decodeJwt(token);
  assert.equal(typeof payload.metadata, 'string', 'metadata is a JSON string');
  return JSON.parse(payload.metadata);
}

/** Verifies with livekit-server-sdk's TokenVerifier (devkey/secret); returns the claims. */
export async function verifyLiveKitToken(token, { apiKey = LK_API_KEY, apiSecret = LK_API_SECRET, clockTolerance = 0 } = {}) {
  return new TokenVerifier(apiKey, apiSecret).verify(token, clockTolerance);
}

/** Hand-made HS256 JWT with exactly `payload` (for forged, expired or odd tokens). */
export function signJwt(payload, { secret = LK_API_SECRET, header = { alg: 'HS256' } } = {}) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc(header)}.${enc(payload)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/** Mints a LiveKit join token with the SDK's AccessToken (an "external" participant, like `lk`). */
export async function mintJoinToken({ room, identity, name, metadata, ttl = '1h', grant = {}, apiKey = LK_API_KEY, apiSecret = LK_API_SECRET }) {
  const at = new AccessToken(apiKey, apiSecret, { identity, name, metadata, ttl });
  at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true, ...grant });
  return at.toJwt();
}

/** Signs a LiveKit webhook body the way the server (and the emulator) does: bare JWT with sha256. */
export async function signWebhookBody(body, { apiKey = LK_API_KEY, apiSecret = LK_API_SECRET, sha256 } = {}) {
  const at = new AccessToken(apiKey, apiSecret, { ttl: '5m' });
  at.sha256 = sha256 ?? createHash('sha256').update(body, 'utf8').digest('base64');
  return at.toJwt();
}

// ------------------------------------------------------------------ minted identities

/** Longest identity Convene mints, and the shape of its random part (12 chars of [a-z2-7]). */
export const MAX_IDENTITY_BYTES = 256;
export const IDENTITY_SUFFIX_CHARS = 12;
export const IDENTITY_SUFFIX = /^[a-z2-7]{12}$/;

/**
 * The part of a minted identity before `-<suffix>`: the display name, shortened at a UTF-8
 * boundary when name, dash and suffix would not fit in MAX_IDENTITY_BYTES.
 */
export function mintedIdentityPrefix(name) {
  const bytes = Buffer.from(name, 'utf8');
  let keep = Math.min(bytes.length, MAX_IDENTITY_BYTES - 1 - IDENTITY_SUFFIX_CHARS);
  while (keep > 0 && keep < bytes.length && (bytes[keep] & 0xc0) === 0x80) keep--;
  return bytes.subarray(0, keep).toString('utf8');
}

/**
 * Asserts that `identity` is one Convene minted for the display name `name` (a token request with
 * a participantName and no participantIdentity): `<name>-<12 chars [a-z2-7]>`, at most 256 bytes.
 */
export function assertMintedIdentity(identity, name, note = '') {
  const what = `${note ? `${note}: ` : ''}identity ${JSON.stringify(identity)} minted from name ${JSON.stringify(name)}`;
  assert.equal(typeof identity, 'string', what);
  const prefix = `${mintedIdentityPrefix(name)}-`;
  assert.ok(identity.startsWith(prefix), `${what} starts with the name and '-'`);
  assert.match(identity.slice(prefix.length), IDENTITY_SUFFIX, `${what} ends with 12 chars of [a-z2-7]`);
  assert.ok(Buffer.byteLength(identity, 'utf8') <= MAX_IDENTITY_BYTES, `${what} is at most ${MAX_IDENTITY_BYTES} bytes`);
}

// ------------------------------------------------------------------ expected shapes

export function openviduPermissions(role) {
  return { canRecord: role === 'moderator', canChat: true, canChangeVirtualBackground: true };
}

/** The LiveKit grant of a participant token (§10.8, §11). */
export function expectedVideoGrant(roomId, { roomJoin }) {
  return {
    roomJoin,
    room: roomId,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: true,
  };
}

export function rolesEntry(role) {
  return { role, permissions: openviduPermissions(role) };
}

/** The role names listed in a participant token's metadata. */
export function tokenRoles(token) {
  return tokenMetadata(token).roles.map((r) => r.role);
}

/** Headers that authenticate a request with a participant token (header transport mode). */
export function participantHeaders(token, role) {
  const h = {};
  if (token !== undefined && token !== null) h['x-participant-token'] = `Bearer ${token}`;
  if (role !== undefined && role !== null) h['x-participant-role'] = role;
  return h;
}

export function secretsOf(room) {
  return {
    moderator: new URL(room.moderatorUrl).searchParams.get('secret'),
    speaker: new URL(room.speakerUrl).searchParams.get('secret'),
  };
}

function describeRes(res) {
  return `HTTP ${res.status}: ${typeof res.text === 'string' ? res.text.slice(0, 1500) : ''}`;
}

export function assertStatus(res, status, note = '') {
  assert.equal(res.status, status, `${note ? `${note}: ` : ''}${describeRes(res)}`);
}

/** Asserts status and an exact `{error, message}` JSON body. */
export function assertError(res, status, error, message) {
  assert.equal(res.status, status, describeRes(res));
  assert.match(res.headers.get('content-type') ?? '', /application\/json/, `error bodies are JSON (${describeRes(res)})`);
  assert.deepEqual(res.body, { error, message }, describeRes(res));
}

/** Asserts a 422 whose details include `{field, message?}`. */
export function assertValidationIncludes(res, detail) {
  assert.equal(res.status, 422, describeRes(res));
  assert.equal(res.body.error, 'Unprocessable Entity', describeRes(res));
  assert.equal(res.body.message, 'Invalid request', describeRes(res));
  assert.ok(Array.isArray(res.body.details), describeRes(res));
  const found = res.body.details.some((d) => d.field === detail.field && (detail.message === undefined || d.message === detail.message));
  assert.ok(found, `expected a detail ${JSON.stringify(detail)}; got ${describeRes(res)}`);
}

// ------------------------------------------------------------------ the stack

/**
 * Starts the emulator (in-process, 127.0.0.1, devkey/secret) and Convene wired to it, then points
 * the emulator's webhooks at Convene's /livekit/webhook.
 *
 * @param {object} [opts]
 * @param {Record<string,string>} [opts.conveneEnv] extra environment for Convene
 * @param {object} [opts.emulatorOptions] options for startEmulator (webhooks are set afterwards
 *   unless `webhooks: false` is given)
 * @param {boolean} [opts.webhooks=true] deliver the emulator's webhooks to Convene
 */
export async function startStack({ conveneEnv = {}, emulatorOptions = {}, webhooks = true, cluster } = {}) {
  // Two instances on shared PostgreSQL + Redis behind a round-robin proxy, when asked for or when
  // the whole run is in cluster mode (make e2e-test-cluster).
  // `cluster` may also be startCluster's options (e.g. {services}).
  const clustered = Boolean(cluster ?? process.env.CONVENE_E2E_CLUSTER === '1');
  const emulator = await startEmulator({
    port: 0,
    apiKey: LK_API_KEY,
    apiSecret: LK_API_SECRET,
    webhookRetries: 2,
    webhookTimeoutMs: 5000,
    ...emulatorOptions,
  });
  let convene;
  try {
    const env = {
      LIVEKIT_URL: `ws://127.0.0.1:${emulator.port}`,
      LIVEKIT_API_KEY: LK_API_KEY,
      LIVEKIT_API_SECRET: LK_API_SECRET,
      ...conveneEnv,
    };
    const clusterOptions = typeof cluster === 'object' ? cluster : {};
    convene = clustered ? await startCluster({ ...clusterOptions, env }) : await startConvene({ env });
  } catch (err) {
    await emulator.close();
    throw err;
  }
  const webhookUrl = `${convene.url}/livekit/webhook`;
  if (webhooks) emulator.configure({ webhookUrl });
  const api = apiClient(convene);
  const livekitUrl = `ws://127.0.0.1:${emulator.port}`;

  const stack = {
    convene,
    emulator,
    api,
    livekitUrl,
    webhookUrl,

    /** POST /api/v1/rooms (201 asserted); returns the room with its secrets attached. */
    async createRoom(body = {}) {
      const res = await api.post('/api/v1/rooms', { json: body });
      assertStatus(res, 201, 'create room');
      const room = res.body;
      Object.defineProperty(room, 'secrets', { value: secretsOf(room), enumerable: false });
      return room;
    },

    async getRoom(roomId) {
      const res = await api.get(`/api/v1/rooms/${encodeURIComponent(roomId)}`);
      assertStatus(res, 200, `get room ${roomId}`);
      return res.body;
    },

    /** Raw POST /internal-api/v1/participants/token. `opts.headers` / `opts.cookie` optional. */
    tokenRequest(body, { headers = {}, cookie, refresh = false, previous, timeoutMs } = {}) {
      const h = { ...headers };
      if (cookie !== undefined) h.cookie = `OvMeetParticipantToken=${cookie}`;
      if (previous !== undefined) h['x-participant-token'] = `Bearer ${previous}`;
      const p = refresh ? '/internal-api/v1/participants/token/refresh' : '/internal-api/v1/participants/token';
      return request(convene.url, 'POST', p, { json: body, headers: h, timeoutMs });
    },

    /** Generates a token expecting 200; returns the JWT string. */
    async token(body, opts = {}) {
      const res = await stack.tokenRequest(body, opts);
      assertStatus(res, 200, `token ${JSON.stringify(body)}`);
      assert.deepEqual(Object.keys(res.body), ['token']);
      return res.body.token;
    },

    /** Refreshes expecting 200 (previous token in x-participant-token); returns the JWT. */
    async refresh(body, previous, opts = {}) {
      const res = await stack.tokenRequest(body, { ...opts, refresh: true, previous });
      assertStatus(res, 200, `refresh ${JSON.stringify(body)}`);
      return res.body.token;
    },

    /** A named token for `room` with the given role; returns {token, identity, name}. */
    async participant(room, name, role = 'speaker') {
      const token = await stack.token({ roomId: room.roomId, secret: secretsOf(room)[role], participantName: name });
      const { payload } = decodeJwt(token);
      return { token, identity: payload.sub, name: payload.name, role };
    },

    /** Joins through the emulator (like a client connecting to /rtc) and waits for the webhooks. */
    async join(token, { metadata, attributes, wait = true } = {}) {
      const info = await emulator.join({ token, metadata, attributes });
      if (wait) await stack.settle();
      return info;
    },

    /** Like join, but returns {status, text} of POST /_test/join instead of throwing. */
    async tryJoin(token) {
      const res = await fetch(`${emulator.url}/_test/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
        signal: AbortSignal.timeout(5000),
      });
      const text = await res.text();
      await stack.settle();
      return { status: res.status, text };
    },

    /** Calls one of the emulator's /_test/ routes over HTTP: {status, body}. */
    async testApi(method, route, body) {
      const res = await fetch(`${emulator.url}/_test/${route}`, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(5000),
      });
      const text = await res.text();
      let parsed = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // plain-text answer (join failures)
      }
      return { status: res.status, body: parsed, text };
    },

    /** The participant disconnects (CLIENT_INITIATED); waits for the webhooks. */
    async leave(room, identity, { wait = true } = {}) {
      await emulator.leave({ room, identity });
      if (wait) await stack.settle();
    },

    /** Waits until every queued webhook has been answered by Convene. */
    async settle(timeoutMs = 8000) {
      await emulator.waitForWebhooks(timeoutMs);
    },

    waitFor,

    /** The emulator's view of one LiveKit room ({room, participants, dataPackets, ...}) or null. */
    lkRoom(roomId) {
      return emulator.snapshot().rooms.find((r) => r.room.name === roomId) ?? null;
    },

    lkIdentities(roomId) {
      return (stack.lkRoom(roomId)?.participants ?? []).map((p) => p.identity).sort();
    },

    lkParticipant(roomId, identity) {
      return stack.lkRoom(roomId)?.participants.find((p) => p.identity === identity) ?? null;
    },

    /** Data packets the emulator recorded for a room, optionally filtered by topic. */
    dataPackets(roomId, topic) {
      const r = stack.lkRoom(roomId);
      return (r?.dataPackets ?? []).filter((p) => topic === undefined || p.topic === topic);
    },

    webhooks(filter = {}) {
      return emulator.webhookLog(filter);
    },

    calls(method) {
      return emulator.callLog({ method });
    },

    setFaults(f) {
      return emulator.setFaults(f);
    },

    /** A RoomServiceClient for direct LiveKit actions (as an operator would). */
    roomService() {
      return new RoomServiceClient(emulator.url, LK_API_KEY, LK_API_SECRET, { requestTimeout: 5 });
    },

    /** Meetings routes with a participant token. */
    endMeeting(roomId, token, role = 'moderator') {
      return request(convene.url, 'DELETE', `/internal-api/v1/meetings/${encodeURIComponent(roomId)}`, {
        headers: participantHeaders(token, role),
      });
    },
    kick(roomId, identity, token, role = 'moderator') {
      return request(
        convene.url,
        'DELETE',
        `/internal-api/v1/meetings/${encodeURIComponent(roomId)}/participants/${encodeURIComponent(identity)}`,
        { headers: participantHeaders(token, role) },
      );
    },
    changeRole(roomId, identity, newRole, token, role = 'moderator') {
      return request(
        convene.url,
        'PUT',
        `/internal-api/v1/meetings/${encodeURIComponent(roomId)}/participants/${encodeURIComponent(identity)}/role`,
        { headers: participantHeaders(token, role), json: { role: newRole } },
      );
    },

    /** GET /api/v1/rooms/{id}[/config] as a participant. */
    getRoomAs(roomId, token, role, suffix = '') {
      return request(convene.url, 'GET', `/api/v1/rooms/${encodeURIComponent(roomId)}${suffix}`, {
        headers: participantHeaders(token, role),
      });
    },

    /** POSTs a raw body to Convene's LiveKit webhook route. `authorization` null = no header. */
    async postWebhook(body, { authorization, contentType = 'application/webhook+json' } = {}) {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      const auth = authorization === undefined ? await signWebhookBody(raw) : authorization;
      const headers = { 'content-type': contentType, 'user-agent': 'Go-http-client/1.1' };
      if (auth !== null) headers.authorization = auth;
      return request(convene.url, 'POST', '/livekit/webhook', { body: raw, headers });
    },

    async health() {
      return request(convene.url, 'GET', '/health', { timeoutMs: 3000 });
    },

    async close() {
      try {
        emulator.configure({ webhookUrl: null });
      } catch {
        // already closed
      }
      await convene.close();
      await emulator.close();
    },
  };
  return stack;
}

/** A webhook event body like LiveKit's (camelCase, sparse). */
export function webhookEvent(event, { room, participant, id, createdAt } = {}) {
  const body = { event };
  if (room) body.room = room;
  if (participant) body.participant = participant;
  body.id = id ?? `EV_${Math.random().toString(36).slice(2, 14).padEnd(12, 'x')}`;
  body.createdAt = String(createdAt ?? nowSeconds());
  return body;
}

/** assertParticipantToken's `identity` for a token whose `sub` Convene minted from its name. */
export const MINTED = Symbol('identity minted from the name');

const REFERENCE_CLAIMS = ['metadata', 'name', 'video', 'iss', 'exp', 'nbf', 'sub'];
// Deviations §1.1: adding iat and jti is fine.
const TOLERATED_CLAIMS = ['iat', 'jti'];

/**
 * Asserts the exact shape of a participant token (reference §10.8, deviations §1.1) and that
 * livekit-server-sdk's TokenVerifier accepts it. Returns the verified claims.
 *   name / identity: expected `name` / `sub` (undefined = must be absent); identity MINTED = a
 *     `sub` minted from the name (`<name>-<12 chars [a-z2-7]>`, see assertMintedIdentity)
 *   roles: expected role names in order; selectedRole; ttlSeconds (default 7200)
 */
export async function assertParticipantToken(token, { roomId, livekitUrl, name, identity, roles, selectedRole, ttlSeconds = 7200, roomJoin }) {
  const t0 = nowSeconds();
  const { header, payload } = decodeJwt(token);
  assert.deepEqual(header, { alg: 'HS256' }, 'protected header is exactly {"alg":"HS256"}');
  for (const k of Object.keys(payload)) {
    assert.ok(REFERENCE_CLAIMS.includes(k) || TOLERATED_CLAIMS.includes(k), `unexpected claim ${k}`);
  }
  assert.equal(payload.iss, LK_API_KEY);
  assert.equal(payload.nbf, 0, 'nbf is literally 0');
  assert.equal(typeof payload.exp, 'number');
  assert.ok(Math.abs(payload.exp - (t0 + ttlSeconds)) <= 3, `exp ${payload.exp} is now + ${ttlSeconds} (now ${t0})`);
  if (name === undefined) assert.equal('name' in payload, false, 'no name claim');
  else assert.equal(payload.name, name);
  if (identity === undefined) assert.equal('sub' in payload, false, 'no sub claim');
  else if (identity === MINTED) assertMintedIdentity(payload.sub, name);
  else assert.equal(payload.sub, identity);
  const join = roomJoin ?? name !== undefined;
  assert.deepEqual(payload.video, expectedVideoGrant(roomId, { roomJoin: join }));
  const meta = tokenMetadata(token);
  assert.deepEqual(Object.keys(meta).sort(), ['livekitUrl', 'roles', 'selectedRole']);
  assert.equal(meta.livekitUrl, livekitUrl);
  assert.deepEqual(meta.roles, roles.map(rolesEntry));
  assert.equal(meta.selectedRole, selectedRole ?? roles[roles.length - 1]);
  const verified = await verifyLiveKitToken(token);
  assert.equal(verified.iss, LK_API_KEY);
  return verified;
}

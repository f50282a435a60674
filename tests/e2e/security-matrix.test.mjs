// The authorization matrix: every route Convene serves × every kind of caller × both transport
// modes, each cell a named test asserting the exact status and body; then the room-access matrix of
// participant tokens by authModeToAccessRoom (B.7) and the recording-token answers.
// Spec: reference-api.md §2.4, §3.1, §3.2, §4 (route index), §4.2 (recording token), §4.5, §4.6,
// §4.7, §9.3, §9.5, §9.6, §10.3, §10.9, §10.10; Appendix A security/*, B.7, B.8;
// convene-deviations.md §1.2, §6.1, §7.4, §10.
//
// Principals (`eff` = what the server should make of them in the current transport mode):
//   none                 – no credential at all
//   apiKey / wrongApiKey – x-api-key with the current key / with a key that was never issued
//   adminHeader          – admin access token in `authorization: Bearer` (header mode only)
//   adminQuery           – admin access token in `?accessToken=` (header mode only)
//   adminCookie          – admin access token in the OvMeetAccessToken cookie (cookie mode only)
//   refreshAsAccess      – the admin's REFRESH token where an access token goes
//   refreshToken         – the admin's refresh token in its own place (x-refresh-token / cookie)
//   moderator / speaker  – participant tokens of the room under test, with x-participant-role
//   otherRoom            – a moderator token of another room
// A credential sent over the transport the current mode ignores counts as no credential (§3.2).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  API_KEY,
  assertError,
  assertStatus,
  decodeJwt,
  request,
  secretsOf,
  signWebhookBody,
  startStack,
  tokenMetadata,
  webhookEvent,
} from './support/livekit.mjs';
import {
  ACCESS_COOKIE,
  ADMIN_PASSWORD,
  PARTICIPANT_COOKIE,
  REFRESH_COOKIE,
  adminSession,
  bearer,
  findSetCookie,
  loginRequest,
  securityConfigBody,
  setCookieLines,
  startWebhookReceiver,
} from './support/convene.mjs';
import { permissionsFor } from './support/rooms.mjs';

const UNAUTHORIZED = { status: 401, error: 'Authentication Error', message: 'Unauthorized' };
const INVALID_API_KEY = { status: 401, error: 'Authentication Error', message: 'Invalid API key' };
const INVALID_TOKEN = { status: 401, error: 'Authentication Error', message: 'Invalid token' };
const INSUFFICIENT = { status: 403, error: 'Authorization Error', message: 'Insufficient permissions to access this resource' };
const NO_PARTICIPANT_TOKEN = { status: 400, error: 'Participant Error', message: 'No participant token provided' };
const INVALID_PARTICIPANT_TOKEN = { status: 400, error: 'Participant Error', message: 'Invalid participant token' };
const NO_REFRESH_TOKEN = { status: 400, error: 'Refresh Token Error', message: 'No refresh token provided' };
const PATH_NOT_FOUND = { status: 404, error: 'Path Not Found', message: 'API path not implemented' };
const OK = { ok: true };

const THEME = { name: 'matrix', enabled: true, baseTheme: 'dark', primaryColor: '#112233' };
const NEW_PASSWORD = 'matrix-password';
const WRONG_KEY = 'ovmeet-00000000000000000000000000000000';

let s;
let admin; // adminSession: follows the transport mode it sets
let apiKey = API_KEY; // the key that currently works (the api-keys cells replace it)
let receiver; // local webhook receiver for POST /config/webhooks/test
let main; // the room under test
let decoy; // the target of denied destructive calls: it must survive them untouched
let other;
let mod;
let spk;
let otherMod;
let themes = []; // what GET appearance should answer now
let targetSeq = 0;

const asKey = () => ({ 'x-api-key': apiKey });
const api = (method, p, opts = {}) => request(s.convene.url, method, p, { ...opts, headers: { ...asKey(), ...(opts.headers ?? {}) } });

function participantCreds(token, role, mode) {
  return mode === 'cookie'
    ? { cookies: { [PARTICIPANT_COOKIE]: token }, headers: { 'x-participant-role': role } }
    : { headers: { 'x-participant-token': `Bearer ${token}`, 'x-participant-role': role } };
}

const PRINCIPALS = [
  { id: 'none', label: 'no credentials', creds: () => ({}) },
  { id: 'apiKey', label: 'API key', creds: () => ({ headers: { 'x-api-key': apiKey } }) },
  { id: 'wrongApiKey', label: 'wrong API key', creds: () => ({ headers: { 'x-api-key': WRONG_KEY } }) },
  { id: 'adminHeader', label: 'admin access token in authorization: Bearer', creds: () => ({ headers: bearer(admin.accessToken) }) },
  { id: 'adminQuery', label: 'admin access token in ?accessToken=', creds: () => ({ query: { accessToken: admin.accessToken } }) },
  { id: 'adminCookie', label: 'admin access token in the OvMeetAccessToken cookie', creds: () => ({ cookies: { [ACCESS_COOKIE]: admin.accessToken } }) },
  {
    id: 'refreshAsAccess',
    label: 'refresh token used as access token',
    creds: (mode) => (mode === 'cookie' ? { cookies: { [ACCESS_COOKIE]: admin.refreshToken } } : { headers: bearer(admin.refreshToken) }),
  },
  {
    id: 'refreshToken',
    label: 'refresh token in its own place (x-refresh-token / OvMeetRefreshToken)',
    creds: (mode) => (mode === 'cookie'
      ? { cookies: { [REFRESH_COOKIE]: admin.refreshToken } }
      : { headers: { 'x-refresh-token': `Bearer ${admin.refreshToken}` } }),
  },
  { id: 'moderator', label: 'participant moderator token', creds: (mode) => participantCreds(mod.token, 'moderator', mode) },
  { id: 'speaker', label: 'participant speaker token', creds: (mode) => participantCreds(spk.token, 'speaker', mode) },
  { id: 'otherRoom', label: 'moderator token of another room', creds: (mode) => participantCreds(otherMod.token, 'moderator', mode) },
];

/** What the server should see: 'admin', 'refresh' (a refresh token as access token) or the id. */
function effective(principal, mode) {
  switch (principal.id) {
    case 'adminHeader':
    case 'adminQuery':
      return mode === 'header' ? 'admin' : 'none';
    case 'adminCookie':
      return mode === 'cookie' ? 'admin' : 'none';
    case 'refreshAsAccess':
      return 'refresh';
    default:
      return principal.id;
  }
}

// Expected outcome by route kind and effective principal (§3.1 chains, §9.5 table).
const KINDS = {
  // APIKEY, ADMIN
  apiKeyOrAdmin: { none: UNAUTHORIZED, apiKey: OK, wrongApiKey: INVALID_API_KEY, admin: OK, refresh: INVALID_TOKEN,
    refreshToken: UNAUTHORIZED, moderator: UNAUTHORIZED, speaker: UNAUTHORIZED, otherRoom: UNAUTHORIZED },
  // APIKEY, ADMIN, PARTICIPANT (the participant must belong to the room)
  apiKeyAdminParticipant: { none: UNAUTHORIZED, apiKey: OK, wrongApiKey: INVALID_API_KEY, admin: OK, refresh: INVALID_TOKEN,
    refreshToken: UNAUTHORIZED, moderator: OK, speaker: OK, otherRoom: INSUFFICIENT },
  // ADMIN (or ADMIN, USER: with a single admin user the answers are the same)
  admin: { none: UNAUTHORIZED, apiKey: UNAUTHORIZED, wrongApiKey: UNAUTHORIZED, admin: OK, refresh: INVALID_TOKEN,
    refreshToken: UNAUTHORIZED, moderator: UNAUTHORIZED, speaker: UNAUTHORIZED, otherRoom: UNAUTHORIZED },
  // PARTICIPANT + moderator of this room (§4.4)
  moderator: { none: UNAUTHORIZED, apiKey: UNAUTHORIZED, wrongApiKey: UNAUTHORIZED, admin: UNAUTHORIZED, refresh: UNAUTHORIZED,
    refreshToken: UNAUTHORIZED, moderator: OK, speaker: INSUFFICIENT, otherRoom: INSUFFICIENT },
  // ANON or no auth at all
  public: { none: OK, apiKey: OK, wrongApiKey: OK, admin: OK, refresh: OK, refreshToken: OK, moderator: OK, speaker: OK, otherRoom: OK },
  // participant token refresh in authModeToAccessRoom=none: the previous token is the credential
  participantRefresh: { none: NO_PARTICIPANT_TOKEN, apiKey: NO_PARTICIPANT_TOKEN, wrongApiKey: NO_PARTICIPANT_TOKEN,
    admin: NO_PARTICIPANT_TOKEN, refresh: NO_PARTICIPANT_TOKEN, refreshToken: NO_PARTICIPANT_TOKEN,
    moderator: OK, speaker: OK, otherRoom: INVALID_PARTICIPANT_TOKEN },
  // POST /internal-api/v1/auth/refresh
  authRefresh: { none: NO_REFRESH_TOKEN, apiKey: NO_REFRESH_TOKEN, wrongApiKey: NO_REFRESH_TOKEN, admin: NO_REFRESH_TOKEN,
    refresh: NO_REFRESH_TOKEN, refreshToken: OK, moderator: NO_REFRESH_TOKEN, speaker: NO_REFRESH_TOKEN, otherRoom: NO_REFRESH_TOKEN },
};

const everyone = (outcome) => Object.fromEntries(Object.keys(KINDS.public).map((k) => [k, outcome]));

async function newTarget() {
  targetSeq += 1;
  const p = await s.participant(main, `TARGET${targetSeq}`, 'speaker');
  await s.join(p.token);
  return p;
}

/** Creates a room with the current API key (the stack's own client keeps the initial key). */
async function freshRoom(name = 'Temp') {
  const res = await api('POST', '/api/v1/rooms', { json: { roomName: name } });
  assertStatus(res, 201);
  const room = res.body;
  Object.defineProperty(room, 'secrets', { value: secretsOf(room), enumerable: false });
  return room;
}

async function roomStatusCode(roomId) {
  return (await api('GET', `/api/v1/rooms/${roomId}`)).status;
}

function assertTokenCookie(res, mode, token) {
  const cookie = findSetCookie(res, PARTICIPANT_COOKIE);
  if (mode === 'header') {
    assert.equal(cookie, undefined, 'header mode sets no participant cookie');
    return;
  }
  assert.ok(cookie, `cookie mode sets ${PARTICIPANT_COOKIE}: ${setCookieLines(res)}`);
  assert.equal(cookie.value, token);
  assert.deepEqual(
    Object.keys(cookie.attributes).sort(),
    ['httponly', 'partitioned', 'path', 'samesite', 'secure'],
    `a session cookie with exactly these attributes: ${setCookieLines(res)}`,
  );
  assert.equal(cookie.attributes.path, '/');
  assert.equal(cookie.attributes.samesite, 'None');
}

const ROUTES = [
  // ------------------------------------------------------------ public API: rooms (§4.1)
  {
    name: 'POST /api/v1/rooms',
    kind: 'apiKeyOrAdmin',
    method: 'POST',
    path: () => '/api/v1/rooms',
    body: () => ({ roomName: 'Created' }),
    probe: async () => (await api('GET', '/api/v1/rooms?roomName=Created&maxItems=100')).body.rooms.length,
    ok: async (res) => {
      assertStatus(res, 201);
      assert.equal(res.body.roomName, 'Created');
      assert.match(res.body.roomId, /^Created-/);
      assert.equal(res.headers.get('location'), `${s.convene.url}/api/v1/rooms/${res.body.roomId}`);
    },
  },
  {
    name: 'GET /api/v1/rooms',
    kind: 'apiKeyOrAdmin',
    method: 'GET',
    path: () => '/api/v1/rooms?roomName=Main',
    ok: async (res) => {
      assertStatus(res, 200);
      const current = (await api('GET', `/api/v1/rooms/${main.roomId}`)).body;
      assert.deepEqual(res.body, { rooms: [current], pagination: { isTruncated: false, maxItems: 10 } });
    },
  },
  {
    name: 'DELETE /api/v1/rooms (bulk)',
    kind: 'apiKeyOrAdmin',
    method: 'DELETE',
    prepare: () => freshRoom(),
    path: (t) => `/api/v1/rooms?roomIds=${t ? t.roomId : decoy.roomId}`,
    probe: () => roomStatusCode(decoy.roomId),
    ok: async (res, { prep }) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, {
        message: 'All rooms successfully processed for deletion',
        successful: [{ roomId: prep.roomId, successCode: 'room_deleted', message: `Room '${prep.roomId}' deleted successfully` }],
      });
      assert.equal(await roomStatusCode(prep.roomId), 404);
    },
  },
  {
    name: 'GET /api/v1/rooms/{roomId}',
    kind: 'apiKeyAdminParticipant',
    method: 'GET',
    path: () => `/api/v1/rooms/${main.roomId}`,
    ok: async (res, { eff }) => {
      assertStatus(res, 200);
      const expected = { ...(await api('GET', `/api/v1/rooms/${main.roomId}`)).body };
      if (eff === 'speaker') delete expected.moderatorUrl; // §4.1: a speaker never sees it
      assert.deepEqual(res.body, expected);
    },
  },
  {
    name: 'DELETE /api/v1/rooms/{roomId}',
    kind: 'apiKeyOrAdmin',
    method: 'DELETE',
    prepare: () => freshRoom(),
    path: (t) => `/api/v1/rooms/${t ? t.roomId : decoy.roomId}`,
    probe: () => roomStatusCode(decoy.roomId),
    ok: async (res, { prep }) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { successCode: 'room_deleted', message: `Room '${prep.roomId}' deleted successfully` });
      assert.equal(await roomStatusCode(prep.roomId), 404);
    },
  },
  {
    name: 'GET /api/v1/rooms/{roomId}/config',
    kind: 'apiKeyAdminParticipant',
    method: 'GET',
    path: () => `/api/v1/rooms/${main.roomId}/config`,
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, main.config);
    },
  },
  {
    name: 'PUT /api/v1/rooms/{roomId}/config',
    kind: 'apiKeyOrAdmin',
    method: 'PUT',
    path: () => `/api/v1/rooms/${decoy.roomId}/config`,
    body: () => ({ config: { ...decoy.config, chat: { enabled: false } } }),
    probe: async () => (await api('GET', `/api/v1/rooms/${decoy.roomId}/config`)).body,
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { message: `Room config for room '${decoy.roomId}' updated successfully` });
      assert.deepEqual((await api('GET', `/api/v1/rooms/${decoy.roomId}/config`)).body.chat, { enabled: false });
      assertStatus(await api('PUT', `/api/v1/rooms/${decoy.roomId}/config`, { json: { config: decoy.config } }), 200);
    },
  },
  {
    name: 'PUT /api/v1/rooms/{roomId}/status',
    kind: 'apiKeyOrAdmin',
    method: 'PUT',
    path: () => `/api/v1/rooms/${decoy.roomId}/status`,
    body: () => ({ status: 'closed' }),
    probe: async () => (await api('GET', `/api/v1/rooms/${decoy.roomId}`)).body.status,
    ok: async (res) => {
      assertStatus(res, 200);
      assert.equal(res.body.message, `Room '${decoy.roomId}' closed successfully`);
      assert.equal(res.body.room.status, 'closed');
      assertStatus(await api('PUT', `/api/v1/rooms/${decoy.roomId}/status`, { json: { status: 'open' } }), 200);
    },
  },
  // ------------------------------------------------------------ internal API: rooms (§4.2, deviations §10)
  {
    name: 'POST /internal-api/v1/rooms/{roomId}/recording-token',
    expectLabel: "404 Room metadata for '<id>' not found …",
    expect: () => everyone({
      status: 404,
      error: 'Room Error',
      message: `Room metadata for '${main.roomId}' not found. Room '${main.roomId}' does not exist or has no recordings associated`,
    }),
    method: 'POST',
    path: () => `/internal-api/v1/rooms/${main.roomId}/recording-token`,
    body: () => ({ secret: main.secrets.moderator }),
  },
  {
    name: 'GET /internal-api/v1/rooms/{roomId}/roles',
    kind: 'public',
    method: 'GET',
    path: () => `/internal-api/v1/rooms/${main.roomId}/roles`,
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, [
        { role: 'moderator', permissions: permissionsFor(main.roomId, 'moderator') },
        { role: 'speaker', permissions: permissionsFor(main.roomId, 'speaker') },
      ]);
    },
  },
  {
    name: 'GET /internal-api/v1/rooms/{roomId}/roles/{secret}',
    kind: 'public',
    method: 'GET',
    path: () => `/internal-api/v1/rooms/${main.roomId}/roles/${main.secrets.speaker}`,
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { role: 'speaker', permissions: permissionsFor(main.roomId, 'speaker') });
    },
  },
  // ------------------------------------------------------------ participants (§4.3, §10; mode none)
  {
    name: 'POST /internal-api/v1/participants/token',
    kind: 'public',
    method: 'POST',
    path: () => '/internal-api/v1/participants/token',
    body: () => ({ roomId: main.roomId, secret: main.secrets.speaker }),
    ok: async (res, { mode }) => {
      assertStatus(res, 200);
      assert.deepEqual(Object.keys(res.body), ['token']);
      assert.equal(decodeJwt(res.body.token).payload.video.room, main.roomId);
      assert.equal(decodeJwt(res.body.token).payload.video.roomJoin, false);
      assert.deepEqual(tokenMetadata(res.body.token).roles.map((r) => r.role), ['speaker']);
      assertTokenCookie(res, mode, res.body.token);
    },
  },
  {
    name: 'POST /internal-api/v1/participants/token/refresh',
    kind: 'participantRefresh',
    method: 'POST',
    path: () => '/internal-api/v1/participants/token/refresh',
    body: () => ({ roomId: main.roomId, secret: main.secrets.speaker }),
    ok: async (res, { eff, mode }) => {
      assertStatus(res, 200);
      assert.deepEqual(Object.keys(res.body), ['token']);
      const { payload } = decodeJwt(res.body.token);
      assert.equal(payload.video.room, main.roomId);
      assert.equal(payload.sub, eff === 'moderator' ? mod.identity : spk.identity, 'the identity comes from the previous token');
      assert.deepEqual(tokenMetadata(res.body.token).roles.map((r) => r.role), ['speaker'], 'the role the secret proves');
      assertTokenCookie(res, mode, res.body.token);
    },
  },
  // ------------------------------------------------------------ meetings (§4.4, B.8)
  {
    name: 'PUT /internal-api/v1/meetings/{roomId}/participants/{identity}/role',
    kind: 'moderator',
    method: 'PUT',
    prepare: () => newTarget(),
    // Refused calls target the joined speaker by its real identity (minted from its name SPEAKER),
    // so that the probe would see a role change that should not have happened.
    path: (t) => `/internal-api/v1/meetings/${main.roomId}/participants/${encodeURIComponent(t ? t.identity : spk.identity)}/role`,
    body: () => ({ role: 'moderator' }),
    probe: () => s.lkParticipant(main.roomId, spk.identity)?.metadata ?? null,
    ok: async (res, { prep }) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { message: `Participant '${prep.identity}' role updated to 'moderator'` });
    },
  },
  {
    name: 'DELETE /internal-api/v1/meetings/{roomId}/participants/{identity}',
    kind: 'moderator',
    method: 'DELETE',
    prepare: () => newTarget(),
    path: (t) => `/internal-api/v1/meetings/${main.roomId}/participants/${encodeURIComponent(t ? t.identity : spk.identity)}`,
    probe: () => s.lkIdentities(main.roomId),
    ok: async (res, { prep }) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { message: `Participant '${prep.identity}' kicked successfully from room '${main.roomId}'` });
      assert.equal(s.lkIdentities(main.roomId).includes(prep.identity), false);
    },
  },
  {
    name: 'DELETE /internal-api/v1/meetings/{roomId}',
    kind: 'moderator',
    method: 'DELETE',
    path: () => `/internal-api/v1/meetings/${main.roomId}`,
    probe: () => s.lkRoom(main.roomId) !== null,
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { message: `Meeting in room '${main.roomId}' ended successfully` });
    },
  },
  // ------------------------------------------------------------ global config (§4.5, deviations §7.4)
  {
    name: 'GET /internal-api/v1/config/security',
    kind: 'public',
    method: 'GET',
    path: () => '/internal-api/v1/config/security',
    ok: async (res, { mode }) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, securityConfigBody({ transport: mode, authMode: 'none' }));
    },
  },
  {
    name: 'PUT /internal-api/v1/config/security',
    kind: 'admin',
    method: 'PUT',
    path: () => '/internal-api/v1/config/security',
    // Denied callers try to switch on all_users; the admin re-sends the current config.
    body: (prep, { ok, mode }) => securityConfigBody({ transport: mode, authMode: ok ? 'none' : 'all_users' }),
    probe: async () => (await request(s.convene.url, 'GET', '/internal-api/v1/config/security')).body,
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { message: 'Security config updated successfully' });
    },
  },
  {
    name: 'GET /internal-api/v1/config/webhooks',
    kind: 'admin',
    method: 'GET',
    path: () => '/internal-api/v1/config/webhooks',
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { enabled: false, url: '' });
    },
  },
  {
    name: 'PUT /internal-api/v1/config/webhooks',
    kind: 'admin',
    method: 'PUT',
    path: () => '/internal-api/v1/config/webhooks',
    body: (prep, { ok }) => (ok ? { enabled: false } : { enabled: true, url: 'http://127.0.0.1:9/hijacked' }),
    probe: async () => (await admin.call('GET', '/internal-api/v1/config/webhooks')).body,
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { message: 'Webhooks config updated successfully' });
    },
  },
  {
    name: 'POST /internal-api/v1/config/webhooks/test',
    kind: 'admin', // deviations §7.4 (reference: no authentication at all)
    method: 'POST',
    path: () => '/internal-api/v1/config/webhooks/test',
    body: () => ({ url: receiver.url }),
    probe: () => receiver.received.length,
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { message: 'Webhook URL is valid' });
    },
  },
  {
    name: 'GET /internal-api/v1/config/rooms/appearance',
    kind: 'public',
    method: 'GET',
    path: () => '/internal-api/v1/config/rooms/appearance',
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { appearance: { themes } });
    },
  },
  {
    name: 'PUT /internal-api/v1/config/rooms/appearance',
    kind: 'admin',
    method: 'PUT',
    path: () => '/internal-api/v1/config/rooms/appearance',
    body: (prep, { ok }) => ({ appearance: { themes: [ok ? THEME : { ...THEME, name: 'hijacked' }] } }),
    probe: async () => (await request(s.convene.url, 'GET', '/internal-api/v1/config/rooms/appearance')).body,
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { message: 'Rooms appearance config updated successfully' });
      themes = [THEME];
    },
  },
  // ------------------------------------------------------------ auth (§4.6)
  {
    name: 'POST /internal-api/v1/auth/login',
    kind: 'public',
    method: 'POST',
    path: () => '/internal-api/v1/auth/login',
    body: () => ({ username: 'admin', password: ADMIN_PASSWORD }),
    ok: async (res, { mode }) => {
      assertStatus(res, 200);
      const message = "User 'admin' logged in successfully";
      if (mode === 'header') {
        assert.deepEqual(Object.keys(res.body).sort(), ['accessToken', 'message', 'refreshToken']);
        assert.equal(res.body.message, message);
        assert.deepEqual(setCookieLines(res), []);
      } else {
        assert.deepEqual(res.body, { message });
        assert.ok(findSetCookie(res, ACCESS_COOKIE)?.value);
        assert.ok(findSetCookie(res, REFRESH_COOKIE)?.value);
      }
    },
  },
  {
    name: 'POST /internal-api/v1/auth/logout',
    kind: 'public',
    method: 'POST',
    path: () => '/internal-api/v1/auth/logout',
    ok: async (res, { mode }) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { message: 'Logout successful' });
      if (mode === 'header') assert.deepEqual(setCookieLines(res), []);
      else {
        assert.equal(findSetCookie(res, ACCESS_COOKIE)?.value, '');
        assert.equal(findSetCookie(res, REFRESH_COOKIE)?.value, '');
      }
    },
  },
  {
    name: 'POST /internal-api/v1/auth/refresh',
    kind: 'authRefresh',
    method: 'POST',
    path: () => '/internal-api/v1/auth/refresh',
    ok: async (res, { mode }) => {
      assertStatus(res, 200);
      const message = "Access token for user 'admin' successfully refreshed";
      if (mode === 'header') {
        assert.deepEqual(Object.keys(res.body).sort(), ['accessToken', 'message']);
        assert.equal(res.body.message, message);
      } else {
        assert.deepEqual(res.body, { message });
        assert.ok(findSetCookie(res, ACCESS_COOKIE)?.value);
        assert.equal(findSetCookie(res, REFRESH_COOKIE), undefined, 'the refresh token is not rotated');
      }
    },
  },
  {
    name: 'POST /internal-api/v1/auth/api-keys',
    kind: 'admin',
    method: 'POST',
    path: () => '/internal-api/v1/auth/api-keys',
    probe: async () => (await admin.call('GET', '/internal-api/v1/auth/api-keys')).body,
    ok: async (res) => {
      assertStatus(res, 201);
      assert.match(res.body.key, /^ovmeet-[0-9a-f]{32}$/);
      apiKey = res.body.key;
    },
  },
  {
    name: 'GET /internal-api/v1/auth/api-keys',
    kind: 'admin',
    method: 'GET',
    path: () => '/internal-api/v1/auth/api-keys',
    ok: async (res) => {
      assertStatus(res, 200);
      assert.equal(res.body.length, 1);
      assert.equal(res.body[0].key, apiKey);
      assert.equal(typeof res.body[0].creationDate, 'number');
    },
  },
  {
    name: 'DELETE /internal-api/v1/auth/api-keys',
    kind: 'admin',
    method: 'DELETE',
    path: () => '/internal-api/v1/auth/api-keys',
    probe: async () => (await admin.call('GET', '/internal-api/v1/auth/api-keys')).body,
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { message: 'API keys deleted successfully' });
      assert.deepEqual((await admin.call('GET', '/internal-api/v1/auth/api-keys')).body, []);
      const created = await admin.call('POST', '/internal-api/v1/auth/api-keys');
      assertStatus(created, 201);
      apiKey = created.body.key;
    },
  },
  // ------------------------------------------------------------ users (§4.7)
  {
    name: 'GET /internal-api/v1/users/profile',
    kind: 'admin',
    method: 'GET',
    path: () => '/internal-api/v1/users/profile',
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { username: 'admin', roles: ['admin', 'user'] });
    },
  },
  {
    name: 'POST /internal-api/v1/users/change-password',
    kind: 'admin',
    method: 'POST',
    path: () => '/internal-api/v1/users/change-password',
    body: () => ({ currentPassword: ADMIN_PASSWORD, newPassword: NEW_PASSWORD }),
    probe: async () => (await loginRequest(s.convene.url)).status,
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { message: "Password for user 'admin' changed successfully" });
      const back = await admin.call('POST', '/internal-api/v1/users/change-password', {
        json: { currentPassword: NEW_PASSWORD, newPassword: ADMIN_PASSWORD },
      });
      assertStatus(back, 200);
    },
  },
  // ------------------------------------------------------------ LiveKit webhooks (§4.8, deviations §6.1)
  {
    name: 'POST /livekit/webhook (unsigned)',
    expectLabel: '401 Webhook Error',
    expect: () => everyone({ status: 401, error: 'Webhook Error', message: undefined }),
    method: 'POST',
    path: () => '/livekit/webhook',
    raw: () => ({ body: JSON.stringify(webhookEvent('room_started', { room: { name: main.roomId } })), contentType: 'application/webhook+json' }),
  },
  // ------------------------------------------------------------ recordings (deviations §10)
  {
    name: 'GET /api/v1/recordings',
    kind: 'apiKeyOrAdmin',
    method: 'GET',
    path: () => '/api/v1/recordings',
    ok: async (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { recordings: [], pagination: { isTruncated: false, maxItems: 10 } });
    },
  },
  // ------------------------------------------------------------ the rest
  {
    name: 'GET /health',
    kind: 'public',
    method: 'GET',
    path: () => '/health',
    ok: async (res) => {
      assertStatus(res, 200);
      assert.equal(res.text, 'OK');
    },
  },
  {
    name: 'GET /internal-api/v1/no-such-route',
    expectLabel: '404 API path not implemented',
    expect: () => everyone(PATH_NOT_FOUND),
    method: 'GET',
    path: () => '/internal-api/v1/no-such-route',
  },
];

function expectation(route, eff) {
  const table = route.expect ? route.expect() : KINDS[route.kind];
  const outcome = table[eff];
  assert.ok(outcome, `no expectation for ${route.name} × ${eff}`);
  return outcome;
}

async function send(route, principal, mode, prep, ok) {
  const creds = principal.creds(mode);
  let p = route.path(prep);
  if (creds.query) p += (p.includes('?') ? '&' : '?') + new URLSearchParams(creds.query).toString();
  const headers = { ...(creds.headers ?? {}) };
  if (creds.cookies) headers.cookie = Object.entries(creds.cookies).map(([k, v]) => `${k}=${v}`).join('; ');
  if (route.raw) {
    const { body, contentType } = route.raw();
    return request(s.convene.url, route.method, p, { headers: { 'content-type': contentType, ...headers }, body });
  }
  const json = route.body ? route.body(prep, { ok, mode }) : undefined;
  return request(s.convene.url, route.method, p, { headers, json });
}

async function runCell(route, principal, mode) {
  const eff = effective(principal, mode);
  const outcome = expectation(route, eff);
  if (outcome.ok) {
    const prep = route.prepare ? await route.prepare() : undefined;
    const res = await send(route, principal, mode, prep, true);
    await route.ok(res, { eff, mode, prep });
    return;
  }
  const before = route.probe ? await route.probe() : undefined;
  const res = await send(route, principal, mode, undefined, false);
  if (outcome.message === undefined) {
    assert.equal(res.status, outcome.status, res.text);
    assert.equal(res.body.error, outcome.error, res.text);
    assert.equal(typeof res.body.message, 'string', res.text);
  } else {
    assertError(res, outcome.status, outcome.error, outcome.message);
  }
  if (route.probe) assert.deepEqual(await route.probe(), before, `${route.name} was refused but changed state`);
}

before(async () => {
  s = await startStack({ conveneEnv: { MEET_LOGIN_RATE_LIMIT: 'off' } });
  receiver = await startWebhookReceiver();
  admin = await adminSession(s.convene);
  main = await s.createRoom({ roomName: 'Main' });
  decoy = await s.createRoom({ roomName: 'Decoy' });
  other = await s.createRoom({ roomName: 'Other' });
  mod = await s.participant(main, 'MODERATOR', 'moderator');
  spk = await s.participant(main, 'SPEAKER', 'speaker');
  otherMod = await s.participant(other, 'OTHERMOD', 'moderator');
  await s.join(mod.token);
  await s.join(spk.token);
});

after(async () => {
  await receiver?.close();
  await s?.close();
});

for (const mode of ['header', 'cookie']) {
  describe(`authorization matrix, ${mode} transport mode (§9.5)`, () => {
    before(async () => {
      if (admin.mode !== mode) await admin.setSecurity({ transport: mode, authMode: 'none' });
    });
    after(async () => {
      if (admin.mode !== 'header') await admin.setSecurity({ transport: 'header', authMode: 'none' });
    });

    for (const route of ROUTES) {
      describe(route.name, () => {
        for (const principal of PRINCIPALS) {
          it(`${principal.label} → ${labelFor(route, principal, mode)}`, async () => {
            await runCell(route, principal, mode);
          });
        }
      });
    }
  });
}

// Test names are fixed when the file loads, before the fixtures exist.
function labelFor(route, principal, mode) {
  if (route.expectLabel) return route.expectLabel;
  const outcome = KINDS[route.kind][effective(principal, mode)];
  return outcome.ok ? 'allowed' : `${outcome.status} ${outcome.message}`;
}

describe('the LiveKit webhook route takes only LiveKit signatures (deviations §6.1)', () => {
  it('a correctly signed webhook → 200 with an empty body', async () => {
    const body = JSON.stringify(webhookEvent('room_started', { room: { name: 'no-such-room' } }));
    const res = await request(s.convene.url, 'POST', '/livekit/webhook', {
      body,
      headers: { 'content-type': 'application/webhook+json', authorization: await signWebhookBody(body) },
    });
    assertStatus(res, 200);
    assert.equal(res.text, '');
  });

  it('an admin access token or the API key in place of the LiveKit JWT → 401', async () => {
    const body = JSON.stringify(webhookEvent('room_started', { room: { name: main.roomId } }));
    for (const authorization of [admin.accessToken, `Bearer ${admin.accessToken}`, apiKey]) {
      const res = await request(s.convene.url, 'POST', '/livekit/webhook', {
        body,
        headers: { 'content-type': 'application/webhook+json', authorization },
      });
      assert.equal(res.status, 401, res.text);
      assert.equal(res.body.error, 'Webhook Error');
    }
  });
});

describe('transport isolation for participant tokens (§3.2)', () => {
  after(async () => {
    if (admin.mode !== 'header') await admin.setSecurity({ transport: 'header' });
  });

  it('header mode: a participant token in the cookie is ignored → 401 Unauthorized (GET room, end meeting)', async () => {
    const headers = { cookie: `${PARTICIPANT_COOKIE}=${mod.token}`, 'x-participant-role': 'moderator' };
    assertError(await request(s.convene.url, 'GET', `/api/v1/rooms/${main.roomId}`, { headers }), 401, 'Authentication Error', 'Unauthorized');
    assertError(await request(s.convene.url, 'DELETE', `/internal-api/v1/meetings/${main.roomId}`, { headers }), 401, 'Authentication Error', 'Unauthorized');
  });

  it('cookie mode: a participant token in x-participant-token is ignored → 401 Unauthorized', async () => {
    await admin.setSecurity({ transport: 'cookie' });
    const headers = { 'x-participant-token': `Bearer ${mod.token}`, 'x-participant-role': 'moderator' };
    assertError(await request(s.convene.url, 'GET', `/api/v1/rooms/${main.roomId}`, { headers }), 401, 'Authentication Error', 'Unauthorized');
    assertError(await request(s.convene.url, 'DELETE', `/internal-api/v1/meetings/${main.roomId}`, { headers }), 401, 'Authentication Error', 'Unauthorized');
  });

  it('cookie mode: the refresh route reads the previous token from the cookie only (header → 400 No participant token provided)', async () => {
    const res = await request(s.convene.url, 'POST', '/internal-api/v1/participants/token/refresh', {
      headers: { 'x-participant-token': `Bearer ${mod.token}` },
      json: { roomId: main.roomId, secret: main.secrets.speaker },
    });
    assertError(res, 400, 'Participant Error', 'No participant token provided');
  });
});

// ---------------------------------------------------------------- B.7: room access by authModeToAccessRoom

describe('participant token room access by authModeToAccessRoom (§9.6, §10.3, B.7)', () => {
  let room;
  const holders = {}; // role → {token, identity} of a joined participant, for refresh
  let seq = 0;

  const CALLERS = [
    { id: 'anonymous', label: 'anonymous', creds: () => ({}) },
    { id: 'adminHeader', label: 'logged-in admin (authorization: Bearer)', creds: () => ({ headers: bearer(admin.accessToken) }) },
    { id: 'adminQuery', label: 'logged-in admin (?accessToken=)', creds: () => ({ query: `accessToken=${admin.accessToken}` }) },
    { id: 'adminCookie', label: 'logged-in admin (OvMeetAccessToken cookie)', creds: () => ({ cookies: { [ACCESS_COOKIE]: admin.accessToken } }) },
    {
      id: 'refreshAsAccess',
      label: 'refresh token as access token',
      creds: (mode) => (mode === 'cookie' ? { cookies: { [ACCESS_COOKIE]: admin.refreshToken } } : { headers: bearer(admin.refreshToken) }),
    },
    {
      id: 'participantAsAccess',
      label: 'participant moderator token as access token',
      creds: (mode) => (mode === 'cookie' ? { cookies: { [ACCESS_COOKIE]: holders.moderator.token } } : { headers: bearer(holders.moderator.token) }),
    },
  ];

  function callerEffect(caller, mode) {
    if (caller.id === 'anonymous') return 'anonymous';
    if (caller.id === 'adminHeader' || caller.id === 'adminQuery') return mode === 'header' ? 'admin' : 'anonymous';
    if (caller.id === 'adminCookie') return mode === 'cookie' ? 'admin' : 'anonymous';
    return 'invalid';
  }

  function expected(authMode, role, eff) {
    const required = authMode === 'all_users' || (authMode === 'moderators_only' && role === 'moderator');
    if (!required || eff === 'admin') return OK;
    return eff === 'invalid' ? INVALID_TOKEN : UNAUTHORIZED;
  }

  before(async () => {
    if (admin.mode !== 'header' || admin.authMode !== 'none') await admin.setSecurity({ transport: 'header', authMode: 'none' });
    room = await freshRoom('Access');
    for (const role of ['moderator', 'speaker']) {
      holders[role] = await s.participant(room, role === 'moderator' ? 'RAMOD' : 'RASPK', role);
      await s.join(holders[role].token);
    }
  });

  after(async () => {
    await admin.setSecurity({ transport: 'header', authMode: 'none' });
  });

  for (const authMode of ['none', 'moderators_only', 'all_users']) {
    for (const mode of ['header', 'cookie']) {
      describe(`authModeToAccessRoom=${authMode}, ${mode} transport`, () => {
        before(async () => {
          await admin.setSecurity({ transport: mode, authMode });
        });
        for (const op of ['generate', 'refresh']) {
          for (const role of ['moderator', 'speaker']) {
            for (const caller of CALLERS) {
              const outcome = expected(authMode, role, callerEffect(caller, mode));
              const label = outcome.ok ? '200' : `${outcome.status} ${outcome.message}`;
              it(`${op} with the ${role} secret, ${caller.label} → ${label}`, async () => {
                const creds = caller.creds(mode);
                const headers = { ...(creds.headers ?? {}) };
                const cookies = { ...(creds.cookies ?? {}) };
                let body;
                if (op === 'generate') {
                  seq += 1;
                  body = { roomId: room.roomId, secret: room.secrets[role], participantName: `P${seq}` };
                } else {
                  const h = holders[role];
                  body = { roomId: room.roomId, secret: room.secrets[role], participantName: h.name, participantIdentity: h.identity };
                  if (mode === 'cookie') cookies[PARTICIPANT_COOKIE] = h.token;
                  else headers['x-participant-token'] = `Bearer ${h.token}`;
                }
                if (Object.keys(cookies).length) headers.cookie = Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ');
                const p = `/internal-api/v1/participants/token${op === 'refresh' ? '/refresh' : ''}${creds.query ? `?${creds.query}` : ''}`;
                const res = await request(s.convene.url, 'POST', p, { headers, json: body });
                if (!outcome.ok) {
                  assertError(res, outcome.status, outcome.error, outcome.message);
                  return;
                }
                assertStatus(res, 200);
                const { payload } = decodeJwt(res.body.token);
                assert.equal(payload.video.room, room.roomId);
                assert.equal(tokenMetadata(res.body.token).selectedRole, role);
                if (op === 'refresh') assert.equal(payload.sub, holders[role].identity);
                else assert.equal(payload.name, body.participantName);
                assertTokenCookie(res, mode, res.body.token);
              });
            }
          }
        }
      });
    }
  }
});

describe('recording tokens without recordings (§4.2, deviations §10)', () => {
  it('a room without recordings → 404 for the moderator secret, the speaker secret and a bad secret', async () => {
    for (const secret of [main.secrets.moderator, main.secrets.speaker, 'nope']) {
      assertError(
        await request(s.convene.url, 'POST', `/internal-api/v1/rooms/${main.roomId}/recording-token`, { json: { secret } }),
        404, 'Room Error',
        `Room metadata for '${main.roomId}' not found. Room '${main.roomId}' does not exist or has no recordings associated`,
      );
    }
  });

  it('a room that does not exist → the same 404; an empty body → the same 404 (dynamic auth and the lookup come before validation)', async () => {
    assertError(
      await request(s.convene.url, 'POST', '/internal-api/v1/rooms/ghost-room/recording-token', { json: { secret: 'x' } }),
      404, 'Room Error',
      "Room metadata for 'ghost-room' not found. Room 'ghost-room' does not exist or has no recordings associated",
    );
    assertError(
      await request(s.convene.url, 'POST', `/internal-api/v1/rooms/${main.roomId}/recording-token`, { json: {} }),
      404, 'Room Error',
      `Room metadata for '${main.roomId}' not found. Room '${main.roomId}' does not exist or has no recordings associated`,
    );
  });

  it('in moderators_only and all_users modes the answer is still 404, even anonymously', async () => {
    for (const authMode of ['moderators_only', 'all_users']) {
      await admin.setSecurity({ authMode });
      const res = await request(s.convene.url, 'POST', `/internal-api/v1/rooms/${main.roomId}/recording-token`, {
        json: { secret: main.secrets.moderator },
      });
      assert.equal(res.status, 404, res.text);
    }
    await admin.setSecurity({ authMode: 'none' });
  });
});

describe('route spelling does not bypass authentication (Express routing: case-insensitive, non-strict)', () => {
  const VARIANTS = [
    ['upper-case path', (p) => p.toUpperCase()],
    ['trailing slash', (p) => `${p}/`],
    ['an extra query string', (p) => `${p}?admin=true`],
  ];
  const ADMIN_ROUTES = [
    ['GET', '/internal-api/v1/auth/api-keys'],
    ['DELETE', '/internal-api/v1/auth/api-keys'],
    ['GET', '/internal-api/v1/config/webhooks'],
    ['PUT', '/internal-api/v1/config/security'],
    ['GET', '/internal-api/v1/users/profile'],
  ];
  for (const [method, p] of ADMIN_ROUTES) {
    for (const [variant, spell] of VARIANTS) {
      it(`${method} ${p} spelled with ${variant}, no credentials → 401 Unauthorized`, async () => {
        const res = await request(s.convene.url, method, spell(p), method === 'PUT' ? { json: securityConfigBody({ authMode: 'all_users' }) } : {});
        assertError(res, 401, 'Authentication Error', 'Unauthorized');
      });
    }
  }

  it('HEAD on an admin route without credentials → 401 and no body', async () => {
    const res = await request(s.convene.url, 'HEAD', '/internal-api/v1/auth/api-keys');
    assert.equal(res.status, 401);
    assert.equal(res.text, '');
  });

  it('the API keys were not touched by any of these', async () => {
    assertStatus(await api('GET', '/api/v1/rooms'), 200);
    assert.deepEqual((await request(s.convene.url, 'GET', '/internal-api/v1/config/security')).body.authentication.authModeToAccessRoom, 'none');
  });

  for (const p of ['/internal-api/v1/auth//api-keys', '/internal-api/v1/auth/%61pi-keys', '/internal-api/v1/auth/api-keys/..%2fapi-keys']) {
    it(`GET ${p} → 404 Path Not Found (not routed to the admin handler)`, async () => {
      assertError(await request(s.convene.url, 'GET', p, { headers: admin.headers() }), 404, 'Path Not Found', 'API path not implemented');
    });
  }
});

describe('authentication before validation (§2.4)', () => {
  // [method, label, path, body]: an invalid request on an authenticated route.
  const INVALID = [
    ['POST', '/api/v1/rooms {roomName: 123}', () => '/api/v1/rooms', { roomName: 123 }],
    ['GET', '/api/v1/rooms?maxItems=-1', () => '/api/v1/rooms?maxItems=-1', undefined],
    ['DELETE', '/api/v1/rooms without roomIds', () => '/api/v1/rooms', undefined],
    ['GET', '/api/v1/rooms/!!!', () => '/api/v1/rooms/%21%21%21', undefined],
    ['DELETE', '/api/v1/rooms/!!!', () => '/api/v1/rooms/%21%21%21', undefined],
    ['GET', '/api/v1/rooms/!!!/config', () => '/api/v1/rooms/%21%21%21/config', undefined],
    ['PUT', '/api/v1/rooms/{roomId}/config {}', () => `/api/v1/rooms/${main.roomId}/config`, {}],
    ['PUT', '/api/v1/rooms/{roomId}/status {status: active_meeting}', () => `/api/v1/rooms/${main.roomId}/status`, { status: 'active_meeting' }],
    ['GET', '/api/v1/recordings?maxItems=0', () => '/api/v1/recordings?maxItems=0', undefined],
    ['PUT', '/internal-api/v1/config/security {}', () => '/internal-api/v1/config/security', {}],
    ['PUT', '/internal-api/v1/config/webhooks {enabled: "yes"}', () => '/internal-api/v1/config/webhooks', { enabled: 'yes' }],
    ['POST', '/internal-api/v1/config/webhooks/test {}', () => '/internal-api/v1/config/webhooks/test', {}],
    ['PUT', '/internal-api/v1/config/rooms/appearance {}', () => '/internal-api/v1/config/rooms/appearance', {}],
    ['POST', '/internal-api/v1/users/change-password {newPassword: "x"}', () => '/internal-api/v1/users/change-password', { newPassword: 'x' }],
    ['PUT', '/internal-api/v1/meetings/!!!/participants/x/role {role: admin}', () => '/internal-api/v1/meetings/%21%21%21/participants/x/role', { role: 'admin' }],
    ['DELETE', '/internal-api/v1/meetings/!!!', () => '/internal-api/v1/meetings/%21%21%21', undefined],
  ];
  for (const [method, label, path, body] of INVALID) {
    it(`${method} ${label}, no credentials → 401 Unauthorized`, async () => {
      assertError(await request(s.convene.url, method, path(), { json: body }), 401, 'Authentication Error', 'Unauthorized');
    });
  }

  for (const [method, label, path, body] of INVALID.filter(([, l]) => !l.startsWith('/internal-api/v1/meetings'))) {
    it(`${method} ${label}, admin → 422`, async () => {
      const res = await admin.call(method, path(), { json: body });
      assert.equal(res.status, 422, res.text);
      assert.equal(res.body.error, 'Unprocessable Entity');
    });
  }

  describe('participant tokens: validation, room and secret come before the gate (§10.1, §10.3 step 1)', () => {
    before(async () => {
      await admin.setSecurity({ transport: 'header', authMode: 'all_users' });
    });
    after(async () => {
      await admin.setSecurity({ transport: 'header', authMode: 'none' });
    });
    for (const op of ['token', 'token/refresh']) {
      it(`${op}: anonymous with an invalid body → 422, not 401`, async () => {
        const res = await request(s.convene.url, 'POST', `/internal-api/v1/participants/${op}`, { json: { roomId: main.roomId } });
        assert.equal(res.status, 422, res.text);
        assert.deepEqual(res.body.details, [{ field: 'secret', message: 'Required' }]);
      });
      it(`${op}: anonymous, room that does not exist → 404 Room Error`, async () => {
        assertError(await request(s.convene.url, 'POST', `/internal-api/v1/participants/${op}`, { json: { roomId: 'ghost-room', secret: 'abc' } }),
          404, 'Room Error', "Room 'ghost-room' does not exist");
      });
      it(`${op}: anonymous, wrong secret → 400 Room Error`, async () => {
        assertError(await request(s.convene.url, 'POST', `/internal-api/v1/participants/${op}`, { json: { roomId: main.roomId, secret: 'abc' } }),
          400, 'Room Error', `Secret 'abc' is not recognized for room '${main.roomId}'`);
      });
      it(`${op}: anonymous, valid body → 401 Unauthorized`, async () => {
        assertError(await request(s.convene.url, 'POST', `/internal-api/v1/participants/${op}`, { json: { roomId: main.roomId, secret: main.secrets.speaker } }),
          401, 'Authentication Error', 'Unauthorized');
      });
    }
  });
});

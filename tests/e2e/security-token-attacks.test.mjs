// Attacks on the admin access and refresh tokens: participant tokens posing as the admin, token
// type confusion, expiry, foreign keys (the reference's format), algorithm games, tampering, wrong
// issuer, unknown subjects and malformed Authorization headers — each against every kind of route
// that reads an access token.
// Spec: reference-api.md §3.1 (ADMIN/USER validator: 401 Invalid token / 403 Invalid token subject),
// §3.2 (extraction), §4.6 (refresh), §9.2 (zero tolerance), §18.4; convene-deviations.md §1.2.
//
// The main server runs with MEET_AUTH_SECRET so that tests can forge tokens with the right key and
// change one thing at a time (a forged token with exactly the issued claims is accepted — the
// control case — so each refusal is down to the one change). A second server uses the default
// key derived from LIVEKIT_API_SECRET.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  API_KEY,
  LK_API_SECRET,
  assertError,
  assertStatus,
  decodeJwt,
  nowSeconds,
  request,
  secretsOf,
  signJwt,
  signWebhookBody,
  sleep,
  startStack,
} from './support/livekit.mjs';
import {
  ACCESS_COOKIE,
  REFRESH_COOKIE,
  adminSession,
  apiClient,
  bearer,
  forgeJwt,
  startConvene,
  startConveneExpectingFailure,
} from './support/convene.mjs';

const AUTH_SECRET = 'e2e-user-token-key-0123456789abcdefghij'; // ≥ 32 characters
const UNAUTHORIZED = [401, 'Authentication Error', 'Unauthorized'];
const INVALID_TOKEN = [401, 'Authentication Error', 'Invalid token'];
const INVALID_SUBJECT = [403, 'Authorization Error', 'Invalid token subject'];
const INVALID_API_KEY = [401, 'Authentication Error', 'Invalid API key'];
const INVALID_REFRESH = [400, 'Refresh Token Error', 'Invalid refresh token'];
const NO_REFRESH = [400, 'Refresh Token Error', 'No refresh token provided'];

let s; // stack with MEET_AUTH_SECRET
let plain; // Convene with the derived key, no LiveKit
let admin;
let plainAdmin;
let room;
let adminParticipant; // a participant token whose identity is "admin"
let plainParticipant; // a participant token (no name) from the plain server

/** The claims Convene puts in an access token (observed, see the control test). */
function accessClaims(over = {}) {
  return {
    metadata: JSON.stringify({ roles: ['admin', 'user'] }),
    typ: 'access',
    iss: 'devkey',
    exp: nowSeconds() + 3600,
    nbf: 0,
    sub: 'admin',
    ...over,
  };
}
const forge = (payload, opts = {}) => forgeJwt(payload, { key: AUTH_SECRET, ...opts });
const without = (obj, key) => Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

before(async () => {
  s = await startStack({ conveneEnv: { MEET_AUTH_SECRET: AUTH_SECRET, MEET_LOGIN_RATE_LIMIT: 'off' } });
  plain = await startConvene({ env: { MEET_LOGIN_RATE_LIMIT: 'off' } });
  admin = await adminSession(s.convene);
  plainAdmin = await adminSession(plain);
  room = await s.createRoom({ roomName: 'attacks' });
  const res = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.moderator, participantName: 'admin', participantIdentity: 'admin' });
  assertStatus(res, 200, 'participant token with identity admin');
  adminParticipant = res.body.token;
  assert.equal(decodeJwt(adminParticipant).payload.sub, 'admin', 'the participant token really claims identity "admin"');
  const plainRoom = await apiClient(plain).post('/api/v1/rooms', { json: { roomName: 'plain' } });
  assertStatus(plainRoom, 201);
  const t = await request(plain.url, 'POST', '/internal-api/v1/participants/token', {
    json: { roomId: plainRoom.body.roomId, secret: secretsOf(plainRoom.body).moderator },
  });
  assertStatus(t, 200);
  plainParticipant = t.body.token;
});

after(async () => {
  await plain?.close();
  await s?.close();
});

// ---------------------------------------------------------------- the tokens under attack

// kind: 'ok' (control), 'invalid' (401 Invalid token), 'subject' (403 Invalid token subject)
const ATTACKS = [
  { name: 'control: the access token from login', kind: 'ok', token: () => admin.accessToken },
  { name: 'control: a token forged with the right key and exactly the issued claims', kind: 'ok', token: () => forge(accessClaims()) },
  { name: 'participant token whose identity is "admin" (deviations §1.2)', kind: 'invalid', token: () => adminParticipant },
  {
    name: 'participant-style token with sub "admin" signed with the LiveKit secret (the reference\'s access-token format)',
    kind: 'invalid',
    token: () => forgeJwt(without(accessClaims(), 'typ'), { key: LK_API_SECRET }),
  },
  { name: 'typed access token signed with the LiveKit secret instead of the user-token key', kind: 'invalid', token: () => forgeJwt(accessClaims(), { key: LK_API_SECRET }) },
  { name: 'a LiveKit webhook JWT', kind: 'invalid', token: () => signWebhookBody('{}') },
  { name: 'the refresh token from login (refresh used as access)', kind: 'invalid', token: () => admin.refreshToken },
  { name: 'forged with typ "refresh"', kind: 'invalid', token: () => forge(accessClaims({ typ: 'refresh' })) },
  { name: 'forged without typ', kind: 'invalid', token: () => forge(without(accessClaims(), 'typ')) },
  { name: 'forged with typ "ACCESS"', kind: 'invalid', token: () => forge(accessClaims({ typ: 'ACCESS' })) },
  { name: 'expired one second ago (zero tolerance)', kind: 'invalid', token: () => forge(accessClaims({ exp: nowSeconds() - 1 })) },
  { name: 'expired an hour ago', kind: 'invalid', token: () => forge(accessClaims({ exp: nowSeconds() - 3600 })) },
  { name: 'without exp', kind: 'invalid', token: () => forge(without(accessClaims(), 'exp')) },
  { name: 'exp as a string', kind: 'invalid', token: () => forge(accessClaims({ exp: String(nowSeconds() + 3600) })) },
  { name: 'nbf one minute in the future', kind: 'invalid', token: () => forge(accessClaims({ nbf: nowSeconds() + 60 })) },
  { name: 'alg "none" with an empty signature', kind: 'invalid', token: () => forge(accessClaims(), { header: { alg: 'none' } }) },
  {
    name: 'alg "none" keeping a valid HS256 signature',
    kind: 'invalid',
    token: () => {
      const good = forge(accessClaims()).split('.');
      return `${b64({ alg: 'none' })}.${good[1]}.${good[2]}`;
    },
  },
  { name: 'alg HS512 signed with the right key', kind: 'invalid', token: () => forge(accessClaims(), { header: { alg: 'HS512' } }) },
  { name: 'alg HS384 signed with the right key', kind: 'invalid', token: () => forge(accessClaims(), { header: { alg: 'HS384' } }) },
  {
    name: 'alg RS256 header over an HMAC signature (algorithm confusion)',
    kind: 'invalid',
    token: () => {
      const head = `${b64({ alg: 'RS256' })}.${b64(accessClaims())}`;
      return `${head}.${createHmac('sha256', AUTH_SECRET).update(head).digest('base64url')}`;
    },
  },
  { name: 'header without alg', kind: 'invalid', token: () => forge(accessClaims(), { header: { typ: 'JWT' }, signature: forge(accessClaims()).split('.')[2] }) },
  {
    name: 'tampered payload (exp pushed out) keeping the original signature',
    kind: 'invalid',
    token: () => {
      const [h, p, sig] = admin.accessToken.split('.');
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
      return `${h}.${b64({ ...payload, exp: payload.exp + 86400 })}.${sig}`;
    },
  },
  {
    name: 'tampered payload (sub changed) keeping the original signature',
    kind: 'invalid',
    token: () => {
      const [h, p, sig] = admin.accessToken.split('.');
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
      return `${h}.${b64({ ...payload, sub: 'root' })}.${sig}`;
    },
  },
  {
    name: 'tampered signature (first character changed)',
    kind: 'invalid',
    token: () => {
      const [h, p, sig] = admin.accessToken.split('.');
      return `${h}.${p}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    },
  },
  { name: 'signature removed', kind: 'invalid', token: () => admin.accessToken.split('.').slice(0, 2).join('.') + '.' },
  { name: 'two segments only', kind: 'invalid', token: () => admin.accessToken.split('.').slice(0, 2).join('.') },
  { name: 'garbage', kind: 'invalid', token: () => 'not-a-jwt' },
  { name: 'wrong issuer', kind: 'invalid', token: () => forge(accessClaims({ iss: 'someone-else' })) },
  { name: 'no issuer', kind: 'invalid', token: () => forge(without(accessClaims(), 'iss')) },
  { name: 'an access token of another deployment (different key)', kind: 'invalid', token: () => plainAdmin.accessToken },
  { name: 'a participant token of another deployment', kind: 'invalid', token: () => plainParticipant },
  { name: 'sub of an unknown user', kind: 'subject', token: () => forge(accessClaims({ sub: 'ghost' })) },
  { name: 'sub "Admin" (user names are case-sensitive)', kind: 'subject', token: () => forge(accessClaims({ sub: 'Admin' })) },
];

// Every kind of route that reads an access token.
const TARGETS = [
  {
    name: 'GET /api/v1/rooms (APIKEY, ADMIN)',
    call: (headers, q = '') => request(s.convene.url, 'GET', `/api/v1/rooms${q}`, { headers }),
    ok: (res) => assertStatus(res, 200),
  },
  {
    name: 'GET /api/v1/rooms/{roomId} (APIKEY, ADMIN, PARTICIPANT)',
    call: (headers, q = '') => request(s.convene.url, 'GET', `/api/v1/rooms/${room.roomId}${q}`, { headers }),
    ok: (res) => {
      assertStatus(res, 200);
      assert.equal(res.body.roomId, room.roomId);
    },
  },
  {
    name: 'GET /internal-api/v1/config/webhooks (ADMIN)',
    call: (headers, q = '') => request(s.convene.url, 'GET', `/internal-api/v1/config/webhooks${q}`, { headers }),
    ok: (res) => assertStatus(res, 200),
  },
  {
    name: 'GET /internal-api/v1/users/profile (ADMIN, USER)',
    call: (headers, q = '') => request(s.convene.url, 'GET', `/internal-api/v1/users/profile${q}`, { headers }),
    ok: (res) => {
      assertStatus(res, 200);
      assert.deepEqual(res.body, { username: 'admin', roles: ['admin', 'user'] });
    },
  },
  {
    name: 'POST /internal-api/v1/participants/token with authModeToAccessRoom=all_users (USER)',
    authMode: 'all_users',
    call: (headers, q = '') => request(s.convene.url, 'POST', `/internal-api/v1/participants/token${q}`, {
      headers,
      json: { roomId: room.roomId, secret: room.secrets.speaker },
    }),
    ok: (res) => {
      assertStatus(res, 200);
      assert.equal(decodeJwt(res.body.token).payload.video.room, room.roomId);
    },
  },
  {
    name: 'POST /internal-api/v1/participants/token/refresh with authModeToAccessRoom=moderators_only, moderator secret (USER)',
    authMode: 'moderators_only',
    call: async (headers, q = '') => {
      const previous = await s.token({ roomId: room.roomId, secret: room.secrets.moderator }, { headers: bearer(admin.accessToken) });
      return request(s.convene.url, 'POST', `/internal-api/v1/participants/token/refresh${q}`, {
        headers: { 'x-participant-token': `Bearer ${previous}`, ...headers },
        json: { roomId: room.roomId, secret: room.secrets.moderator },
      });
    },
    ok: (res) => assertStatus(res, 200),
  },
];

for (const target of TARGETS) {
  describe(`access-token attacks on ${target.name}`, () => {
    before(async () => {
      if (target.authMode) await admin.setSecurity({ authMode: target.authMode });
    });
    after(async () => {
      if (target.authMode) await admin.setSecurity({ authMode: 'none' });
    });

    for (const attack of ATTACKS) {
      const label = { ok: '200', invalid: '401 Invalid token', subject: '403 Invalid token subject' }[attack.kind];
      it(`${attack.name} → ${label}`, async () => {
        const res = await target.call(bearer(await attack.token()));
        if (attack.kind === 'ok') target.ok(res);
        else assertError(res, ...(attack.kind === 'invalid' ? INVALID_TOKEN : INVALID_SUBJECT));
      });
    }

    it('the same tokens in ?accessToken= behave the same (participant token → 401 Invalid token, unknown sub → 403)', async () => {
      assertError(await target.call({}, `?accessToken=${adminParticipant}`), ...INVALID_TOKEN);
      assertError(await target.call({}, `?accessToken=${admin.refreshToken}`), ...INVALID_TOKEN);
      assertError(await target.call({}, `?accessToken=${forge(accessClaims({ sub: 'ghost' }))}`), ...INVALID_SUBJECT);
      target.ok(await target.call({}, `?accessToken=${admin.accessToken}`));
    });
  });
}

// ---------------------------------------------------------------- Authorization header shapes

describe('Authorization header shapes (§3.2: exactly "Bearer " + token)', () => {
  const profile = (headers, q = '') => request(s.convene.url, 'GET', `/internal-api/v1/users/profile${q}`, { headers });
  const CASES = [
    { name: 'no header', headers: () => ({}), expect: UNAUTHORIZED },
    { name: 'empty header', headers: () => ({ authorization: '' }), expect: UNAUTHORIZED },
    { name: '"Bearer" without a token', headers: () => ({ authorization: 'Bearer' }), expect: UNAUTHORIZED },
    { name: '"Bearer " with an empty token', headers: () => ({ authorization: 'Bearer ' }), expect: UNAUTHORIZED },
    { name: 'lower-case "bearer <valid token>"', headers: () => ({ authorization: `bearer ${admin.accessToken}` }), expect: UNAUTHORIZED },
    { name: 'upper-case "BEARER <valid token>"', headers: () => ({ authorization: `BEARER ${admin.accessToken}` }), expect: UNAUTHORIZED },
    { name: 'the bare valid token without a scheme', headers: () => ({ authorization: admin.accessToken }), expect: UNAUTHORIZED },
    { name: '"Token <valid token>"', headers: () => ({ authorization: `Token ${admin.accessToken}` }), expect: UNAUTHORIZED },
    { name: 'Basic credentials admin:admin', headers: () => ({ authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }), expect: UNAUTHORIZED },
    { name: '"Bearer  <valid token>" (two spaces: the token starts with a space)', headers: () => ({ authorization: `Bearer  ${admin.accessToken}` }), expect: INVALID_TOKEN },
    { name: '"Bearer <token>garbage"', headers: () => ({ authorization: `Bearer ${admin.accessToken}x` }), expect: INVALID_TOKEN },
  ];
  for (const c of CASES) {
    it(`${c.name} → ${c.expect[0]} ${c.expect[2]}`, async () => {
      assertError(await profile(c.headers()), ...c.expect);
    });
  }

  it('an empty ?accessToken= → 401 Unauthorized', async () => {
    assertError(await profile({}, '?accessToken='), ...UNAUTHORIZED);
  });

  it('a repeated ?accessToken= parameter is ignored (Express gives an array) → 401 Unauthorized', async () => {
    assertError(await profile({}, `?accessToken=${admin.accessToken}&accessToken=${admin.accessToken}`), ...UNAUTHORIZED);
  });

  it('a Bearer header wins over the query: invalid header + valid query → 401 Invalid token', async () => {
    assertError(await profile(bearer('junk'), `?accessToken=${admin.accessToken}`), ...INVALID_TOKEN);
  });

  it('a non-Bearer header is no header: "Basic …" + valid query → 200', async () => {
    assertStatus(await profile({ authorization: 'Basic abc' }, `?accessToken=${admin.accessToken}`), 200);
  });
});

// ---------------------------------------------------------------- validator chain order

describe('validator chain order (§3.1: first success admits, a "stop" failure ends the chain)', () => {
  const rooms = (headers) => request(s.convene.url, 'GET', '/api/v1/rooms', { headers });

  it('valid API key + invalid access token → 200 (APIKEY admits first)', async () => {
    assertStatus(await rooms({ 'x-api-key': API_KEY, ...bearer('junk') }), 200);
  });

  it('wrong API key + valid access token → 401 Invalid API key (APIKEY stops the chain)', async () => {
    assertError(await rooms({ 'x-api-key': 'wrong', ...bearer(admin.accessToken) }), ...INVALID_API_KEY);
  });

  it('an empty x-api-key counts as none: the access token then admits → 200', async () => {
    assertStatus(await rooms({ 'x-api-key': '', ...bearer(admin.accessToken) }), 200);
  });

  it('the admin access token as an API key → 401 Invalid API key', async () => {
    assertError(await rooms({ 'x-api-key': admin.accessToken }), ...INVALID_API_KEY);
  });

  it('the API key upper-cased → 401 Invalid API key (exact comparison)', async () => {
    assertError(await rooms({ 'x-api-key': API_KEY.toUpperCase() }), ...INVALID_API_KEY);
  });

  it('GET room: invalid access token + valid participant token → 401 Invalid token (ADMIN stops before PARTICIPANT)', async () => {
    const p = await s.participant(room, 'CHAIN', 'speaker');
    const res = await request(s.convene.url, 'GET', `/api/v1/rooms/${room.roomId}`, {
      headers: { ...bearer('junk'), 'x-participant-token': `Bearer ${p.token}`, 'x-participant-role': 'speaker' },
    });
    assertError(res, ...INVALID_TOKEN);
  });

  it('an admin access token in x-participant-token is not a participant token → 401 Invalid token', async () => {
    const res = await request(s.convene.url, 'DELETE', `/internal-api/v1/meetings/${room.roomId}`, {
      headers: { 'x-participant-token': `Bearer ${admin.accessToken}`, 'x-participant-role': 'moderator' },
    });
    assertError(res, ...INVALID_TOKEN);
  });
});

// ---------------------------------------------------------------- refresh tokens

describe('refresh-token attacks on POST /internal-api/v1/auth/refresh (§4.6, deviations §1.2)', () => {
  const refresh = (headers) => request(s.convene.url, 'POST', '/internal-api/v1/auth/refresh', { headers });
  const withRefresh = (t) => ({ 'x-refresh-token': `Bearer ${t}` });
  const refreshClaims = (over = {}) => accessClaims({ typ: 'refresh', exp: nowSeconds() + 86400, ...over });

  it('control: the refresh token from login → 200', async () => {
    assertStatus(await refresh(withRefresh(admin.refreshToken)), 200);
  });

  it('control: a refresh token forged with the right key → 200', async () => {
    assertStatus(await refresh(withRefresh(forge(refreshClaims()))), 200);
  });

  const REFUSED = [
    ['the access token (access used as refresh)', () => admin.accessToken],
    ['a participant token whose identity is "admin"', () => adminParticipant],
    ['the reference\'s refresh format (LiveKit secret, no typ)', () => forgeJwt(without(refreshClaims(), 'typ'), { key: LK_API_SECRET })],
    ['a typed refresh token signed with the LiveKit secret', () => forgeJwt(refreshClaims(), { key: LK_API_SECRET })],
    ['expired one second ago', () => forge(refreshClaims({ exp: nowSeconds() - 1 }))],
    ['alg none', () => forge(refreshClaims(), { header: { alg: 'none' } })],
    ['alg HS512', () => forge(refreshClaims(), { header: { alg: 'HS512' } })],
    ['wrong issuer', () => forge(refreshClaims({ iss: 'x' }))],
    ['the refresh token of another deployment', () => plainAdmin.refreshToken],
    ['garbage', () => 'junk'],
  ];
  for (const [name, token] of REFUSED) {
    it(`${name} → 400 Invalid refresh token`, async () => {
      assertError(await refresh(withRefresh(token())), ...INVALID_REFRESH);
    });
  }

  it('a refresh token for an unknown user → 403 Invalid token subject', async () => {
    assertError(await refresh(withRefresh(forge(refreshClaims({ sub: 'ghost' })))), ...INVALID_SUBJECT);
  });

  it('the refresh token in authorization: Bearer → 400 No refresh token provided', async () => {
    assertError(await refresh(bearer(admin.refreshToken)), ...NO_REFRESH);
  });

  it('the access token minted by a refresh is an access token, not a refresh token', async () => {
    const res = await refresh(withRefresh(admin.refreshToken));
    assertStatus(res, 200);
    assertStatus(await request(s.convene.url, 'GET', '/internal-api/v1/users/profile', { headers: bearer(res.body.accessToken) }), 200);
    assertError(await refresh(withRefresh(res.body.accessToken)), ...INVALID_REFRESH);
  });
});

// ---------------------------------------------------------------- cookie transport

describe('the same attacks over cookies (cookie transport mode)', () => {
  const profile = (cookie) => request(s.convene.url, 'GET', '/internal-api/v1/users/profile', { headers: { cookie } });
  before(async () => {
    await admin.setSecurity({ transport: 'cookie' });
  });
  after(async () => {
    await admin.setSecurity({ transport: 'header' });
  });

  it('control: the access token in OvMeetAccessToken → 200', async () => {
    assertStatus(await profile(`${ACCESS_COOKIE}=${admin.accessToken}`), 200);
  });

  it('a participant token (identity "admin") in OvMeetAccessToken → 401 Invalid token', async () => {
    assertError(await profile(`${ACCESS_COOKIE}=${adminParticipant}`), ...INVALID_TOKEN);
  });

  it('the refresh token in OvMeetAccessToken → 401 Invalid token', async () => {
    assertError(await profile(`${ACCESS_COOKIE}=${admin.refreshToken}`), ...INVALID_TOKEN);
  });

  it('an expired forged token in OvMeetAccessToken → 401 Invalid token; unknown sub → 403 Invalid token subject', async () => {
    assertError(await profile(`${ACCESS_COOKIE}=${forge(accessClaims({ exp: nowSeconds() - 1 }))}`), ...INVALID_TOKEN);
    assertError(await profile(`${ACCESS_COOKIE}=${forge(accessClaims({ sub: 'ghost' }))}`), ...INVALID_SUBJECT);
  });

  it('an empty OvMeetAccessToken cookie → 401 Unauthorized', async () => {
    assertError(await profile(`${ACCESS_COOKIE}=`), ...UNAUTHORIZED);
  });

  it('the refresh token only in the OvMeetRefreshToken cookie does not authenticate → 401 Unauthorized', async () => {
    assertError(await profile(`${REFRESH_COOKIE}=${admin.refreshToken}`), ...UNAUTHORIZED);
  });

  it('the access token in OvMeetRefreshToken → 400 Invalid refresh token', async () => {
    const res = await request(s.convene.url, 'POST', '/internal-api/v1/auth/refresh', { headers: { cookie: `${REFRESH_COOKIE}=${admin.accessToken}` } });
    assertError(res, ...INVALID_REFRESH);
  });
});

// ---------------------------------------------------------------- the key itself

describe('the user-token key (deviations §1.2)', () => {
  it('access tokens of the default deployment are HS256 but not signed with LIVEKIT_API_SECRET', async () => {
    const [h, p, sig] = plainAdmin.accessToken.split('.');
    assert.deepEqual(decodeJwt(plainAdmin.accessToken).header, { alg: 'HS256' });
    assert.equal(decodeJwt(plainAdmin.accessToken).payload.typ, 'access');
    assert.equal(decodeJwt(plainAdmin.refreshToken).payload.typ, 'refresh');
    assert.notEqual(sig, createHmac('sha256', LK_API_SECRET).update(`${h}.${p}`).digest('base64url'));
  });

  it('with MEET_AUTH_SECRET the tokens are signed with exactly that key', () => {
    const [h, p, sig] = admin.accessToken.split('.');
    assert.equal(sig, createHmac('sha256', AUTH_SECRET).update(`${h}.${p}`).digest('base64url'));
  });

  it('default deployment: the reference\'s access-token format (LiveKit secret, sub admin) → 401 Invalid token', async () => {
    const res = await request(plain.url, 'GET', '/internal-api/v1/users/profile', {
      headers: bearer(forgeJwt(without(accessClaims(), 'typ'), { key: LK_API_SECRET })),
    });
    assertError(res, ...INVALID_TOKEN);
    const typed = await request(plain.url, 'GET', '/api/v1/rooms', { headers: bearer(forgeJwt(accessClaims(), { key: LK_API_SECRET })) });
    assertError(typed, ...INVALID_TOKEN);
  });

  it('default deployment: a participant token never authenticates as a user → 401 Invalid token', async () => {
    assertError(await request(plain.url, 'GET', '/api/v1/rooms', { headers: bearer(plainParticipant) }), ...INVALID_TOKEN);
  });

  async function refusesToStart(env) {
    const err = await startConveneExpectingFailure(env);
    assert.match(err.message, /exited early[\s\S]*MEET_AUTH_SECRET/);
  }

  it('MEET_AUTH_SECRET shorter than 32 characters → the server refuses to start', async () => {
    await refusesToStart({ MEET_AUTH_SECRET: 'x'.repeat(31) });
  });

  it('MEET_AUTH_SECRET equal to LIVEKIT_API_SECRET → the server refuses to start', async () => {
    const secret = 'y'.repeat(40);
    await refusesToStart({ LIVEKIT_API_SECRET: secret, MEET_AUTH_SECRET: secret });
  });

  it('MEET_AUTH_SECRET of exactly 32 characters is accepted', async () => {
    const c = await startConvene({ env: { MEET_AUTH_SECRET: 'z'.repeat(32), MEET_LOGIN_RATE_LIMIT: 'off' } });
    try {
      const a = await adminSession(c);
      const [h, p, sig] = a.accessToken.split('.');
      assert.equal(sig, createHmac('sha256', 'z'.repeat(32)).update(`${h}.${p}`).digest('base64url'));
    } finally {
      await c.close();
    }
  });
});

// ---------------------------------------------------------------- the expiry instant

describe('expiry boundary: a token is expired from the second its exp names (§9.2 zero tolerance; RFC 7519 §4.1.4; jose: exp <= now)', () => {
  /** Waits (bounded, < 1.1 s) until the wall clock is early in a second, so a request lands in it. */
  async function earlyInASecond() {
    const ms = Date.now() % 1000;
    if (ms > 150) await sleep(1000 - ms + 20);
  }

  it('an access token whose exp is the current second → 401 Invalid token', async () => {
    await earlyInASecond();
    const token = forge(accessClaims({ exp: nowSeconds() }));
    assertError(await request(s.convene.url, 'GET', '/internal-api/v1/users/profile', { headers: bearer(token) }), ...INVALID_TOKEN);
  });

  it('control: an access token whose exp is the next second → 200', async () => {
    await earlyInASecond();
    const token = forge(accessClaims({ exp: nowSeconds() + 1 }));
    assertStatus(await request(s.convene.url, 'GET', '/internal-api/v1/users/profile', { headers: bearer(token) }), 200);
  });

  it('a participant token whose exp is the current second → 401 Invalid token (GET room)', async () => {
    const real = await s.participant(room, 'EDGE', 'speaker');
    const { payload } = decodeJwt(real.token);
    await earlyInASecond();
    const token = signJwt({ ...payload, exp: nowSeconds() });
    const res = await request(s.convene.url, 'GET', `/api/v1/rooms/${room.roomId}`, {
      headers: { 'x-participant-token': `Bearer ${token}`, 'x-participant-role': 'speaker' },
    });
    assertError(res, ...INVALID_TOKEN);
  });
});

// The admin authentication routes: login, logout, refresh, API keys, profile, change-password and
// the login rate limiter, in header and cookie transport modes.
// Spec: reference-api.md §1.4, §3.2, §4.6, §4.7, §9.3 (cookie attributes), §9.4; Appendix A
// security/auth, security/user-security, users/*; convene-deviations.md §1.2, §7.5.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, assertStatus, decodeJwt, nowSeconds, sleep } from './support/livekit.mjs';
import { assertValidation } from './support/rooms.mjs';
import {
  ACCESS_COOKIE,
  ADMIN_PASSWORD,
  API_KEY,
  REFRESH_COOKIE,
  adminSession,
  bearer,
  cookieHeader,
  findSetCookie,
  forgeJwt,
  loginRequest,
  request,
  setCookieLines,
  startConvene,
  startConveneExpectingFailure,
} from './support/convene.mjs';

const AUTH_SECRET = 'auth-routes-e2e-key-0123456789abcdefghijklmn';
const LOGIN = '/internal-api/v1/auth/login';
const LOGOUT = '/internal-api/v1/auth/logout';
const REFRESH = '/internal-api/v1/auth/refresh';
const API_KEYS = '/internal-api/v1/auth/api-keys';
const PROFILE = '/internal-api/v1/users/profile';
const CHANGE_PASSWORD = '/internal-api/v1/users/change-password';
const LOGIN_ERROR = [404, 'Login Error', 'Invalid username or password'];
const UNAUTHORIZED = [401, 'Authentication Error', 'Unauthorized'];
const TOO_MANY = 'Too many login attempts, please try again later';

let c;
let admin;

const post = (p, opts = {}) => request(c.url, 'POST', p, opts);
const get = (p, opts = {}) => request(c.url, 'GET', p, opts);
const login = (username, password, headers = {}) => loginRequest(c.url, { username, password, headers });

before(async () => {
  c = await startConvene({ env: { MEET_LOGIN_RATE_LIMIT: 'off', MEET_AUTH_SECRET: AUTH_SECRET } });
  admin = await adminSession(c);
});

after(async () => {
  await c?.close();
});

/** Asserts the attributes of a token cookie set in cookie mode (§9.3). */
function assertTokenCookie(res, name, { path, maxAge }) {
  const cookie = findSetCookie(res, name);
  assert.ok(cookie, `Set-Cookie ${name} in ${JSON.stringify(setCookieLines(res))}`);
  assert.ok(cookie.value.length > 0);
  assert.equal(cookie.attributes.path, path);
  assert.equal(cookie.attributes['max-age'], String(maxAge));
  assert.equal(cookie.attributes.httponly, true);
  assert.equal(cookie.attributes.secure, true);
  assert.equal(cookie.attributes.samesite, 'None');
  assert.equal(cookie.attributes.partitioned, true);
  assert.equal('domain' in cookie.attributes, false, 'no Domain attribute');
  const allowed = ['path', 'max-age', 'httponly', 'secure', 'samesite', 'partitioned', 'expires'];
  for (const k of Object.keys(cookie.attributes)) assert.ok(allowed.includes(k), `unexpected attribute ${k}`);
  if ('expires' in cookie.attributes) {
    const at = Date.parse(cookie.attributes.expires);
    assert.ok(Math.abs(at - (Date.now() + maxAge * 1000)) < 5000, `Expires matches Max-Age: ${cookie.attributes.expires}`);
  }
  return cookie;
}

/** Asserts that the response clears `name` on `path` (epoch expiry or Max-Age=0). */
function assertClearedCookie(res, name, path) {
  const cookie = findSetCookie(res, name);
  assert.ok(cookie, `Set-Cookie ${name} in ${JSON.stringify(setCookieLines(res))}`);
  assert.equal(cookie.value, '');
  assert.equal(cookie.attributes.path, path);
  const expired = ('expires' in cookie.attributes && Date.parse(cookie.attributes.expires) <= 1000)
    || cookie.attributes['max-age'] === '0';
  assert.ok(expired, `cookie ${name} expires at once: ${JSON.stringify(cookie.attributes)}`);
}

// ---------------------------------------------------------------- login

describe('POST /internal-api/v1/auth/login — validation (§4.6: 422 before the rate limiter)', () => {
  const CASES = [
    ['an empty body', {}, [{ field: 'username', message: 'Required' }, { field: 'password', message: 'Required' }]],
    ['no password', { username: 'admin' }, [{ field: 'password', message: 'Required' }]],
    ['no username', { password: 'admin' }, [{ field: 'username', message: 'Required' }]],
    ['a 3-character username', { username: 'adm', password: 'admin' }, [{ field: 'username', message: 'Username must be at least 4 characters long' }]],
    ['a 3-character password', { username: 'admin', password: 'adm' }, [{ field: 'password', message: 'Password must be at least 4 characters long' }]],
    ['both too short', { username: 'a', password: '' }, [
      { field: 'username', message: 'Username must be at least 4 characters long' },
      { field: 'password', message: 'Password must be at least 4 characters long' },
    ]],
    ['a numeric username', { username: 1234, password: 'admin' }, [{ field: 'username', message: 'Expected string, received number' }]],
    ['a null password', { username: 'admin', password: null }, [{ field: 'password', message: 'Expected string, received null' }]],
  ];
  for (const [name, body, details] of CASES) {
    it(`${name} → 422 ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, async () => {
      assertValidation(await post(LOGIN, { json: body }), details);
    });
  }

  it('malformed JSON → 400 Bad Request / Malformed body', async () => {
    assertError(await post(LOGIN, { body: '{"username":', headers: { 'content-type': 'application/json' } }), 400, 'Bad Request', 'Malformed body');
  });

  it('lengths count UTF-16 units as zod does: two emoji (4 units) pass validation → 404', async () => {
    assertError(await login('\u{1F600}\u{1F600}', 'admin'), ...LOGIN_ERROR);
  });

  it('unknown body keys are ignored → 200', async () => {
    assertStatus(await post(LOGIN, { json: { username: 'admin', password: ADMIN_PASSWORD, role: 'superuser' } }), 200);
  });
});

describe('POST /internal-api/v1/auth/login — wrong credentials → 404 Login Error (Q2)', () => {
  const CASES = [
    ['a wrong password', 'admin', 'wrong-password'],
    ['an unknown user', 'nobody', 'admin'],
    ['the user name in another case', 'Admin', 'admin'],
    ['the password in another case', 'admin', 'ADMIN'],
    ['the password with a trailing space', 'admin', 'admin '],
  ];
  for (const [name, username, password] of CASES) {
    it(`${name} → 404 Invalid username or password, no cookie`, async () => {
      const res = await login(username, password);
      assertError(res, ...LOGIN_ERROR);
      assert.deepEqual(setCookieLines(res), []);
    });
  }
});

describe('POST /internal-api/v1/auth/login — header mode (§4.6, §9.2, deviations §1.2)', () => {
  let res;
  before(async () => {
    res = await login('admin', ADMIN_PASSWORD);
  });

  it('200 with exactly {message, accessToken, refreshToken} and no cookie', () => {
    assertStatus(res, 200);
    assert.match(res.headers.get('content-type'), /application\/json/);
    assert.deepEqual(Object.keys(res.body).sort(), ['accessToken', 'message', 'refreshToken']);
    assert.equal(res.body.message, "User 'admin' logged in successfully");
    assert.deepEqual(setCookieLines(res), []);
  });

  it('the tokens are HS256 JWTs with typ access/refresh, sub admin, iss = LIVEKIT_API_KEY and the 2h/1d lifetimes', () => {
    const now = nowSeconds();
    for (const [token, typ, ttl] of [[res.body.accessToken, 'access', 7200], [res.body.refreshToken, 'refresh', 86400]]) {
      const { header, payload } = decodeJwt(token);
      assert.deepEqual(header, { alg: 'HS256' });
      assert.equal(payload.typ, typ);
      assert.equal(payload.sub, 'admin');
      assert.equal(payload.iss, 'devkey');
      assert.ok(Math.abs(payload.exp - (now + ttl)) <= 5, `${typ} exp ${payload.exp} ≈ now + ${ttl}`);
      assert.deepEqual(JSON.parse(payload.metadata), { roles: ['admin', 'user'] });
    }
  });

  it('the access token opens the profile; the refresh token refreshes', async () => {
    assertStatus(await get(PROFILE, { headers: bearer(res.body.accessToken) }), 200);
    assertStatus(await post(REFRESH, { headers: { 'x-refresh-token': `Bearer ${res.body.refreshToken}` } }), 200);
  });
});

describe('cookie transport mode: login, refresh, logout, profile (§9.3)', () => {
  let res;
  before(async () => {
    await admin.setSecurity({ transport: 'cookie' });
    res = await login('admin', ADMIN_PASSWORD);
  });
  after(async () => {
    await admin.setSecurity({ transport: 'header' });
  });

  it('login → 200 with only {message}', () => {
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: "User 'admin' logged in successfully" });
  });

  it('login sets exactly two cookies', () => {
    assert.deepEqual(setCookieLines(res).map((l) => l.split('=')[0]).sort(), [ACCESS_COOKIE, REFRESH_COOKIE].sort());
  });

  it('OvMeetAccessToken: Path=/; Max-Age=7200; HttpOnly; Secure; SameSite=None; Partitioned; an access token', () => {
    const cookie = assertTokenCookie(res, ACCESS_COOKIE, { path: '/', maxAge: 7200 });
    assert.equal(decodeJwt(cookie.value).payload.typ, 'access');
  });

  it('OvMeetRefreshToken: Path=/internal-api/v1/auth; Max-Age=86400; HttpOnly; Secure; SameSite=None; Partitioned; a refresh token', () => {
    const cookie = assertTokenCookie(res, REFRESH_COOKIE, { path: '/internal-api/v1/auth', maxAge: 86400 });
    assert.equal(decodeJwt(cookie.value).payload.typ, 'refresh');
  });

  it('the access cookie opens the profile; the same token as Bearer header is ignored → 401 Unauthorized', async () => {
    const access = findSetCookie(res, ACCESS_COOKIE).value;
    const ok = await get(PROFILE, { headers: cookieHeader({ [ACCESS_COOKIE]: access }) });
    assertStatus(ok, 200);
    assert.deepEqual(ok.body, { username: 'admin', roles: ['admin', 'user'] });
    assertError(await get(PROFILE, { headers: bearer(access) }), ...UNAUTHORIZED);
    assertError(await get(`${PROFILE}?accessToken=${access}`), ...UNAUTHORIZED);
  });

  it('wrong credentials in cookie mode → 404 and no cookie', async () => {
    const bad = await login('admin', 'wrong-password');
    assertError(bad, ...LOGIN_ERROR);
    assert.deepEqual(setCookieLines(bad), []);
  });

  it('refresh with the refresh cookie → 200 {message} and a new access cookie only (no rotation)', async () => {
    const refreshed = await post(REFRESH, { headers: cookieHeader({ [REFRESH_COOKIE]: findSetCookie(res, REFRESH_COOKIE).value }) });
    assertStatus(refreshed, 200);
    assert.deepEqual(refreshed.body, { message: "Access token for user 'admin' successfully refreshed" });
    const cookie = assertTokenCookie(refreshed, ACCESS_COOKIE, { path: '/', maxAge: 7200 });
    assert.equal(findSetCookie(refreshed, REFRESH_COOKIE), undefined);
    assert.equal(setCookieLines(refreshed).length, 1);
    assertStatus(await get(PROFILE, { headers: cookieHeader({ [ACCESS_COOKIE]: cookie.value }) }), 200);
  });

  it('refresh in cookie mode ignores x-refresh-token → 400 No refresh token provided', async () => {
    const refreshToken = findSetCookie(res, REFRESH_COOKIE).value;
    assertError(await post(REFRESH, { headers: { 'x-refresh-token': `Bearer ${refreshToken}` } }), 400, 'Refresh Token Error', 'No refresh token provided');
    assertError(await post(REFRESH), 400, 'Refresh Token Error', 'No refresh token provided');
    assertError(await post(REFRESH, { headers: cookieHeader({ [ACCESS_COOKIE]: findSetCookie(res, ACCESS_COOKIE).value }) }),
      400, 'Refresh Token Error', 'No refresh token provided');
  });

  it('logout → 200 and both cookies cleared on their paths', async () => {
    const out = await post(LOGOUT, { headers: cookieHeader({ [ACCESS_COOKIE]: findSetCookie(res, ACCESS_COOKIE).value }) });
    assertStatus(out, 200);
    assert.deepEqual(out.body, { message: 'Logout successful' });
    assertClearedCookie(out, ACCESS_COOKIE, '/');
    assertClearedCookie(out, REFRESH_COOKIE, '/internal-api/v1/auth');
  });

  it('logout without any credentials → 200 and the cookies cleared', async () => {
    const out = await post(LOGOUT);
    assertStatus(out, 200);
    assertClearedCookie(out, ACCESS_COOKIE, '/');
    assertClearedCookie(out, REFRESH_COOKIE, '/internal-api/v1/auth');
  });

  it('the API key still works in cookie mode (§3.2)', async () => {
    assertStatus(await get('/api/v1/rooms', { headers: { 'x-api-key': API_KEY } }), 200);
  });
});

// ---------------------------------------------------------------- logout (header mode)

describe('POST /internal-api/v1/auth/logout — header mode', () => {
  it('→ 200 {message: Logout successful} and no Set-Cookie', async () => {
    const out = await post(LOGOUT, { headers: bearer(admin.accessToken) });
    assertStatus(out, 200);
    assert.deepEqual(out.body, { message: 'Logout successful' });
    assert.deepEqual(setCookieLines(out), []);
  });

  it('needs no credentials → 200', async () => {
    assertStatus(await post(LOGOUT), 200);
  });

  it('revokes nothing server-side: the access and refresh tokens still work afterwards (§4.6)', async () => {
    const { body } = await login('admin', ADMIN_PASSWORD);
    assertStatus(await post(LOGOUT, { headers: bearer(body.accessToken) }), 200);
    assertStatus(await get(PROFILE, { headers: bearer(body.accessToken) }), 200);
    assertStatus(await post(REFRESH, { headers: { 'x-refresh-token': `Bearer ${body.refreshToken}` } }), 200);
  });
});

// ---------------------------------------------------------------- refresh (header mode)

describe('POST /internal-api/v1/auth/refresh — header mode', () => {
  const refresh = (headers) => post(REFRESH, { headers });

  it('no token → 400 No refresh token provided', async () => {
    assertError(await refresh({}), 400, 'Refresh Token Error', 'No refresh token provided');
  });

  it('x-refresh-token without "Bearer " → 400 No refresh token provided', async () => {
    assertError(await refresh({ 'x-refresh-token': admin.refreshToken }), 400, 'Refresh Token Error', 'No refresh token provided');
  });

  it('"Bearer " with nothing after it → 400 No refresh token provided', async () => {
    assertError(await refresh({ 'x-refresh-token': 'Bearer ' }), 400, 'Refresh Token Error', 'No refresh token provided');
  });

  it('a refresh cookie is ignored in header mode → 400 No refresh token provided', async () => {
    assertError(await refresh(cookieHeader({ [REFRESH_COOKIE]: admin.refreshToken })), 400, 'Refresh Token Error', 'No refresh token provided');
  });

  it('garbage → 400 Invalid refresh token', async () => {
    assertError(await refresh({ 'x-refresh-token': 'Bearer junk' }), 400, 'Refresh Token Error', 'Invalid refresh token');
  });

  it('the access token → 400 Invalid refresh token (deviations §1.2)', async () => {
    assertError(await refresh({ 'x-refresh-token': `Bearer ${admin.accessToken}` }), 400, 'Refresh Token Error', 'Invalid refresh token');
  });

  it('a valid refresh token of a user that does not exist → 403 Invalid token subject', async () => {
    const ghost = forgeJwt({
      metadata: JSON.stringify({ roles: ['admin', 'user'] }), typ: 'refresh', iss: 'devkey', exp: nowSeconds() + 3600, nbf: 0, sub: 'ghost',
    }, { key: AUTH_SECRET });
    assertError(await refresh({ 'x-refresh-token': `Bearer ${ghost}` }), 403, 'Authorization Error', 'Invalid token subject');
  });

  it('a valid refresh token → 200 {message, accessToken}: a new access token, the refresh token is not rotated', async () => {
    const res = await refresh({ 'x-refresh-token': `Bearer ${admin.refreshToken}` });
    assertStatus(res, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ['accessToken', 'message']);
    assert.equal(res.body.message, "Access token for user 'admin' successfully refreshed");
    assert.deepEqual(setCookieLines(res), []);
    const { payload } = decodeJwt(res.body.accessToken);
    assert.equal(payload.typ, 'access');
    assert.equal(payload.sub, 'admin');
    assert.ok(Math.abs(payload.exp - (nowSeconds() + 7200)) <= 5);
    assertStatus(await get(PROFILE, { headers: bearer(res.body.accessToken) }), 200);
    assertStatus(await refresh({ 'x-refresh-token': `Bearer ${admin.refreshToken}` }), 200, 'the refresh token still works');
  });
});

// ---------------------------------------------------------------- profile

describe('GET /internal-api/v1/users/profile (§4.7)', () => {
  it('admin → 200 {username: admin, roles: [admin, user]} (no password hash)', async () => {
    const res = await get(PROFILE, { headers: bearer(admin.accessToken) });
    assertStatus(res, 200);
    assert.deepEqual(res.body, { username: 'admin', roles: ['admin', 'user'] });
  });

  it('anonymous → 401 Unauthorized; API key → 401 Unauthorized', async () => {
    assertError(await get(PROFILE), ...UNAUTHORIZED);
    assertError(await get(PROFILE, { headers: { 'x-api-key': API_KEY } }), ...UNAUTHORIZED);
  });
});

// ---------------------------------------------------------------- change password

describe('POST /internal-api/v1/users/change-password (§4.7)', () => {
  const change = (body, headers = bearer(admin.accessToken)) => post(CHANGE_PASSWORD, { json: body, headers });

  it('authentication runs before validation: anonymous + invalid body → 401 Unauthorized', async () => {
    assertError(await change({ newPassword: 'x' }, {}), ...UNAUTHORIZED);
  });

  it('a 4-character new password → 422 New password must be at least 5 characters long', async () => {
    assertValidation(await change({ currentPassword: 'admin', newPassword: 'abcd' }), [
      { field: 'newPassword', message: 'New password must be at least 5 characters long' },
    ]);
  });

  it('an empty body → 422 Required for both fields', async () => {
    assertValidation(await change({}), [
      { field: 'currentPassword', message: 'Required' },
      { field: 'newPassword', message: 'Required' },
    ]);
  });

  it('a numeric current password → 422 Expected string, received number', async () => {
    assertValidation(await change({ currentPassword: 1234, newPassword: 'abcdef' }), [
      { field: 'currentPassword', message: 'Expected string, received number' },
    ]);
  });

  it('a wrong current password → 400 Change Password Error / Invalid current password, nothing changes', async () => {
    assertError(await change({ currentPassword: 'wrong', newPassword: 'new-password' }), 400, 'Change Password Error', 'Invalid current password');
    assertStatus(await login('admin', ADMIN_PASSWORD), 200);
    assertError(await login('admin', 'new-password'), ...LOGIN_ERROR);
  });

  it('success → 200; the new password logs in, the old one fails, issued tokens stay valid; then changed back', async () => {
    const res = await change({ currentPassword: ADMIN_PASSWORD, newPassword: 'fresh' });
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: "Password for user 'admin' changed successfully" });
    assertError(await login('admin', ADMIN_PASSWORD), ...LOGIN_ERROR);
    const fresh = await login('admin', 'fresh');
    assertStatus(fresh, 200);
    assertStatus(await get(PROFILE, { headers: bearer(admin.accessToken) }), 200, 'a password change revokes nothing (§4.7)');
    assertStatus(await change({ currentPassword: 'fresh', newPassword: ADMIN_PASSWORD }, bearer(fresh.body.accessToken)), 200);
    assertStatus(await login('admin', ADMIN_PASSWORD), 200);
    assertError(await login('admin', 'fresh'), ...LOGIN_ERROR);
  });

  it('works with the cookie in cookie mode', async () => {
    await admin.setSecurity({ transport: 'cookie' });
    try {
      const headers = cookieHeader({ [ACCESS_COOKIE]: admin.accessToken });
      assertStatus(await change({ currentPassword: ADMIN_PASSWORD, newPassword: 'cookie-pass' }, headers), 200);
      assertStatus(await change({ currentPassword: 'cookie-pass', newPassword: ADMIN_PASSWORD }, headers), 200);
    } finally {
      await admin.setSecurity({ transport: 'header' });
    }
  });
});

// ---------------------------------------------------------------- API keys (last: they replace the initial key)

describe('API keys (§4.6, §9.4; Q3)', () => {
  const rooms = (key) => get('/api/v1/rooms', { headers: key === undefined ? {} : { 'x-api-key': key } });
  const keys = () => admin.call('GET', API_KEYS);
  let first;
  let second;

  it('GET lists the initial key in clear → 200 [{key, creationDate}]', async () => {
    const res = await keys();
    assertStatus(res, 200);
    assert.equal(res.body.length, 1);
    assert.deepEqual(Object.keys(res.body[0]).sort(), ['creationDate', 'key']);
    assert.equal(res.body[0].key, API_KEY);
    assert.equal(typeof res.body[0].creationDate, 'number');
  });

  it('POST → 201 {key: ovmeet-<32 hex>, creationDate: now}', async () => {
    const t0 = Date.now();
    const res = await admin.call('POST', API_KEYS);
    assertStatus(res, 201);
    assert.deepEqual(Object.keys(res.body).sort(), ['creationDate', 'key']);
    assert.match(res.body.key, /^ovmeet-[0-9a-f]{32}$/);
    assert.ok(res.body.creationDate >= t0 - 1000 && res.body.creationDate <= Date.now() + 1000, `creationDate ${res.body.creationDate}`);
    first = res.body;
  });

  it('the new key replaces the previous one at once: the initial key → 401 Invalid API key, the new key → 200', async () => {
    assertError(await rooms(API_KEY), 401, 'Authentication Error', 'Invalid API key');
    assertStatus(await rooms(first.key), 200);
  });

  it('GET lists exactly the new key', async () => {
    assert.deepEqual((await keys()).body, [first]);
  });

  it('a second POST replaces the first generated key too', async () => {
    const res = await admin.call('POST', API_KEYS);
    assertStatus(res, 201);
    second = res.body;
    assert.notEqual(second.key, first.key);
    assertError(await rooms(first.key), 401, 'Authentication Error', 'Invalid API key');
    assertStatus(await rooms(second.key), 200);
    assert.deepEqual((await keys()).body, [second]);
  });

  it('generated keys are distinct', async () => {
    const seen = new Set([first.key, second.key]);
    for (let i = 0; i < 5; i++) {
      const res = await admin.call('POST', API_KEYS);
      assertStatus(res, 201);
      assert.equal(seen.has(res.body.key), false);
      seen.add(res.body.key);
      second = res.body;
    }
  });

  it('the API key cannot manage API keys → 401 Unauthorized', async () => {
    assertError(await post(API_KEYS, { headers: { 'x-api-key': second.key } }), ...UNAUTHORIZED);
    assertError(await get(API_KEYS, { headers: { 'x-api-key': second.key } }), ...UNAUTHORIZED);
    assertError(await request(c.url, 'DELETE', API_KEYS, { headers: { 'x-api-key': second.key } }), ...UNAUTHORIZED);
    assertStatus(await rooms(second.key), 200, 'the key survived');
  });

  it('DELETE → 200 {message}; GET → []', async () => {
    const res = await admin.call('DELETE', API_KEYS);
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: 'API keys deleted successfully' });
    assert.deepEqual((await keys()).body, []);
  });

  it('with no key stored, any API key → 401 There are no API keys configured yet…', async () => {
    for (const key of [second.key, API_KEY, 'anything']) {
      assertError(await rooms(key), 401, 'Authentication Error', 'There are no API keys configured yet. Please, create one to access the API');
    }
  });

  it('with no key stored, no API key header → 401 Unauthorized; the admin token still works', async () => {
    assertError(await rooms(), ...UNAUTHORIZED);
    assertStatus(await get('/api/v1/rooms', { headers: bearer(admin.accessToken) }), 200);
  });

  it('DELETE when there is no key → 200 again', async () => {
    assertStatus(await admin.call('DELETE', API_KEYS), 200);
  });

  it('concurrent creations leave exactly one key: the listed one is the only one that works', async () => {
    const created = await Promise.all(Array.from({ length: 6 }, () => admin.call('POST', API_KEYS)));
    for (const res of created) assertStatus(res, 201);
    const listed = (await keys()).body;
    assert.equal(listed.length, 1);
    assert.ok(created.some((r) => r.body.key === listed[0].key), 'the listed key is one of those returned');
    const working = [];
    for (const res of created) if ((await rooms(res.body.key)).status === 200) working.push(res.body.key);
    assert.deepEqual(working, [listed[0].key]);
  });

  it('POST after a deletion → a working key', async () => {
    const res = await admin.call('POST', API_KEYS);
    assertStatus(res, 201);
    assertStatus(await rooms(res.body.key), 200);
    assert.deepEqual((await keys()).body, [res.body]);
  });
});

// ---------------------------------------------------------------- the login rate limiter

describe('login rate limiter (§1.4, §4.6; MEET_LOGIN_RATE_LIMIT)', () => {
  const servers = [];
  async function server(limit, extraEnv = {}) {
    const env = limit === undefined ? { ...extraEnv } : { MEET_LOGIN_RATE_LIMIT: limit, ...extraEnv };
    const started = await startConvene({ env });
    servers.push(started);
    return started;
  }
  after(async () => {
    for (const srv of servers) await srv.close();
  });

  function assertTooMany(res) {
    assert.equal(res.status, 429, res.text);
    assert.equal(res.text, TOO_MANY);
    assert.doesNotMatch(res.headers.get('content-type') ?? '', /json/, 'a plain-text body');
  }

  it('default 5/5m: five failed logins → 404 each, the sixth → 429 plain text; then even the right password → 429', async () => {
    const srv = await server(undefined);
    for (let i = 0; i < 5; i++) assertError(await loginRequest(srv.url, { password: `wrong-${i}` }), ...LOGIN_ERROR);
    assertTooMany(await loginRequest(srv.url, { password: 'wrong-5' }));
    assertTooMany(await loginRequest(srv.url, { password: ADMIN_PASSWORD }));
    assertTooMany(await loginRequest(srv.url, { username: 'other', password: 'whatever' }));
  });

  it('X-Forwarded-For does not reset the limit (SERVER_TRUST_PROXY is off by default)', async () => {
    const srv = await server('2/5m');
    for (let i = 0; i < 2; i++) assertError(await loginRequest(srv.url, { password: `wrong-${i}` }), ...LOGIN_ERROR);
    assertTooMany(await loginRequest(srv.url, { password: 'wrong', headers: { 'x-forwarded-for': '203.0.113.7' } }));
  });

  it('SERVER_TRUST_PROXY=true: rotating the leftmost X-Forwarded-For does not bypass the limit', async () => {
    // The proxy appends the address it saw (198.51.100.9); everything left of it is the client's.
    const srv = await server('2/5m', { SERVER_TRUST_PROXY: 'true' });
    const via = (spoofed, seen = '198.51.100.9') => ({ 'x-forwarded-for': `${spoofed}, ${seen}` });
    for (let i = 0; i < 2; i++) {
      assertError(await loginRequest(srv.url, { password: `wrong-${i}`, headers: via(`203.0.113.${i}`) }), ...LOGIN_ERROR);
    }
    for (let i = 2; i < 6; i++) {
      assertTooMany(await loginRequest(srv.url, { password: 'wrong', headers: via(`203.0.113.${i}`) }));
    }
    assertTooMany(await loginRequest(srv.url, { password: 'wrong', headers: { 'x-forwarded-for': '198.51.100.9' } }));
    // Another client behind the same proxy has its own budget.
    assertError(await loginRequest(srv.url, { password: 'wrong', headers: via('203.0.113.2', '198.51.100.10') }), ...LOGIN_ERROR);
  });

  it('SERVER_TRUST_PROXY=2: the client is the entry the outer of two proxies wrote', async () => {
    const srv = await server('2/5m', { SERVER_TRUST_PROXY: '2' });
    const via = (spoofed) => ({ 'x-forwarded-for': `${spoofed}, 198.51.100.20, 10.0.0.2` });
    for (let i = 0; i < 2; i++) {
      assertError(await loginRequest(srv.url, { password: `wrong-${i}`, headers: via(`203.0.113.${i}`) }), ...LOGIN_ERROR);
    }
    assertTooMany(await loginRequest(srv.url, { password: 'wrong', headers: via('203.0.113.99') }));
    assertTooMany(await loginRequest(srv.url, { password: 'wrong', headers: { 'x-forwarded-for': '198.51.100.20, 10.0.0.3' } }));
  });

  it('only logins are limited: other routes still answer while the limit is reached', async () => {
    const srv = await server('1/5m');
    assertError(await loginRequest(srv.url, { password: 'wrong' }), ...LOGIN_ERROR);
    assertTooMany(await loginRequest(srv.url, { password: ADMIN_PASSWORD }));
    assertStatus(await request(srv.url, 'GET', '/api/v1/rooms', { headers: { 'x-api-key': API_KEY } }), 200);
  });

  it('validation failures (422) and successful logins do not count', async () => {
    const srv = await server(undefined);
    for (let i = 0; i < 10; i++) assert.equal((await request(srv.url, 'POST', LOGIN, { json: { username: 'a' } })).status, 422);
    // Five failures interleaved with four successes: nine attempts, none refused.
    for (let i = 0; i < 5; i++) {
      assertError(await loginRequest(srv.url, { password: `wrong-${i}` }), ...LOGIN_ERROR);
      if (i < 4) assertStatus(await loginRequest(srv.url), 200);
    }
    assertTooMany(await loginRequest(srv.url, { password: 'wrong-5' }));
  });

  it('off disables it: twenty failures → 404 each, then the right password → 200', async () => {
    const srv = await server('off');
    for (let i = 0; i < 20; i++) assertError(await loginRequest(srv.url, { password: `wrong-${i}` }), ...LOGIN_ERROR);
    assertStatus(await loginRequest(srv.url), 200);
  });

  it('the window slides: 2/2s refuses the third failure, and admits again once the window has passed', async () => {
    const srv = await server('2/2s');
    assertError(await loginRequest(srv.url, { password: 'wrong-1' }), ...LOGIN_ERROR);
    assertError(await loginRequest(srv.url, { password: 'wrong-2' }), ...LOGIN_ERROR);
    const last = Date.now();
    assertTooMany(await loginRequest(srv.url, { password: 'wrong-3' }));
    await sleep(Math.max(0, last + 2300 - Date.now()));
    assertError(await loginRequest(srv.url, { password: 'wrong-4' }), ...LOGIN_ERROR);
    assertStatus(await loginRequest(srv.url), 200);
  });

  it('an invalid MEET_LOGIN_RATE_LIMIT → the server refuses to start', async () => {
    const err = await startConveneExpectingFailure({ MEET_LOGIN_RATE_LIMIT: 'banana' });
    assert.match(err.message, /exited early[\s\S]*MEET_LOGIN_RATE_LIMIT/);
  });
});

// ---------------------------------------------------------------- log hygiene

describe('credentials never reach the logs, even at debug level (deviations §7.5)', () => {
  let srv;
  const secrets = new Map(); // label → value that must not appear in the output
  const INITIAL_KEY = 'initial-api-key-7f3a9c1e';
  const INITIAL_PASSWORD = 'Init-Pass-K42x';
  const NEW_PASSWORD = 'Changed-Pass-Q81z';
  const WRONG_PASSWORD = 'Wrong-Pass-Z99y';
  const WRONG_KEY = 'ovmeet-wrongwrongwrongwrongwrong1234';

  before(async () => {
    srv = await startConvene({
      env: { MEET_LOG_LEVEL: 'debug', MEET_LOGIN_RATE_LIMIT: 'off', MEET_INITIAL_API_KEY: INITIAL_KEY, MEET_INITIAL_ADMIN_PASSWORD: INITIAL_PASSWORD },
    });
    const at = (m, p, opts) => request(srv.url, m, p, opts);
    secrets.set('initial API key', INITIAL_KEY);
    secrets.set('initial password', INITIAL_PASSWORD);
    secrets.set('new password', NEW_PASSWORD);
    secrets.set('wrong password', WRONG_PASSWORD);
    secrets.set('wrong API key', WRONG_KEY);

    assertError(await loginRequest(srv.url, { password: WRONG_PASSWORD }), ...LOGIN_ERROR);
    const ok = await loginRequest(srv.url, { password: INITIAL_PASSWORD });
    assertStatus(ok, 200);
    secrets.set('access token', ok.body.accessToken);
    secrets.set('refresh token', ok.body.refreshToken);
    const refreshed = await at('POST', REFRESH, { headers: { 'x-refresh-token': `Bearer ${ok.body.refreshToken}` } });
    assertStatus(refreshed, 200);
    secrets.set('refreshed access token', refreshed.body.accessToken);
    assertStatus(await at('POST', REFRESH, { headers: { 'x-refresh-token': `Bearer ${ok.body.accessToken}` } }), 400);
    assertStatus(await at('GET', PROFILE, { headers: bearer(ok.body.refreshToken) }), 401);
    assertStatus(await at('GET', '/api/v1/rooms', { headers: { 'x-api-key': WRONG_KEY } }), 401);
    const room = await at('POST', '/api/v1/rooms', { headers: { 'x-api-key': INITIAL_KEY }, json: { roomName: 'logs' } });
    assertStatus(room, 201);
    const secret = new URL(room.body.moderatorUrl).searchParams.get('secret');
    secrets.set('moderator secret', secret);
    const pt = await at('POST', '/internal-api/v1/participants/token', { json: { roomId: room.body.roomId, secret } });
    assertStatus(pt, 200);
    secrets.set('participant token', pt.body.token);
    assertStatus(await at('GET', `/api/v1/rooms/${room.body.roomId}`, { headers: { 'x-participant-token': `Bearer ${pt.body.token}`, 'x-participant-role': 'speaker' } }), 403);
    assertStatus(await at('POST', CHANGE_PASSWORD, { headers: bearer(ok.body.accessToken), json: { currentPassword: WRONG_PASSWORD, newPassword: NEW_PASSWORD } }), 400);
    assertStatus(await at('POST', CHANGE_PASSWORD, { headers: bearer(ok.body.accessToken), json: { currentPassword: INITIAL_PASSWORD, newPassword: NEW_PASSWORD } }), 200);
    const key = await at('POST', API_KEYS, { headers: bearer(ok.body.accessToken) });
    assertStatus(key, 201);
    secrets.set('generated API key', key.body.key);
    assertStatus(await at('GET', API_KEYS, { headers: bearer(ok.body.accessToken) }), 200);
    assertStatus(await at('POST', '/internal-api/v1/config/webhooks/test', { headers: bearer(ok.body.accessToken), json: { url: 'http://127.0.0.1:1/hook' } }), 400);
    await srv.stop();
  });

  after(async () => {
    await srv?.close();
  });

  it('the server logged something at debug level (the check below is not vacuous)', () => {
    assert.match(srv.logs(), /login/i);
  });

  for (const label of ['initial API key', 'initial password', 'new password', 'wrong password', 'wrong API key', 'access token',
    'refresh token', 'refreshed access token', 'moderator secret', 'participant token', 'generated API key']) {
    it(`no ${label} in the output`, () => {
      const value = secrets.get(label);
      assert.ok(value, `${label} was captured`);
      const logs = srv.logs();
      assert.equal(logs.includes(value), false, `${label} appears in the logs`);
      if (value.split('.').length === 3) {
        assert.equal(logs.includes(value.split('.')[2]), false, `the signature of the ${label} appears in the logs`);
      }
    });
  }
});

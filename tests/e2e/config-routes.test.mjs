// Global configuration routes — security, webhooks, webhook test, rooms appearance — their
// validation messages, and what survives a restart or a change of MEET_NAME_ID.
// Spec: reference-api.md §4.5, §9.4, §16 (test event, signature), §17.5 (initialisation);
// Appendix A global-config/*, security/global-config-security; convene-deviations.md §7.2, §7.4.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertError, assertStatus } from './support/livekit.mjs';
import { assertValidation } from './support/rooms.mjs';
import {
  ACCESS_COOKIE,
  ADMIN_PASSWORD,
  API_KEY,
  adminSession,
  bearer,
  closedPort,
  cookieHeader,
  loginRequest,
  request,
  securityConfigBody,
  startConvene,
  startWebhookReceiver,
} from './support/convene.mjs';

const SECURITY = '/internal-api/v1/config/security';
const WEBHOOKS = '/internal-api/v1/config/webhooks';
const WEBHOOK_TEST = '/internal-api/v1/config/webhooks/test';
const APPEARANCE = '/internal-api/v1/config/rooms/appearance';
const UNAUTHORIZED = [401, 'Authentication Error', 'Unauthorized'];
const URL_INVALID = 'Must be a valid URL';
const URL_SCHEME = 'URL must start with http:// or https://';
const HEX = 'Must be a valid hex color code (with or without alpha)';
const DEFAULT_SECURITY = securityConfigBody({ transport: 'header', authMode: 'none' });

let c;
let admin;
let currentKey = API_KEY;

before(async () => {
  c = await startConvene({ env: { MEET_LOGIN_RATE_LIMIT: 'off' } });
  admin = await adminSession(c);
});

after(async () => {
  await c?.close();
});

const anon = (method, p, json) => request(c.url, method, p, json === undefined ? {} : { json });

// ---------------------------------------------------------------- security

describe('GET/PUT /internal-api/v1/config/security (§4.5)', () => {
  after(async () => {
    await admin.setSecurity({ transport: 'header', authMode: 'none' });
  });

  it('GET is public and answers the default config', async () => {
    const res = await anon('GET', SECURITY);
    assertStatus(res, 200);
    assert.deepEqual(res.body, DEFAULT_SECURITY);
  });

  it('PUT without credentials → 401 Unauthorized, even with an invalid body (auth before validation)', async () => {
    assertError(await anon('PUT', SECURITY, securityConfigBody({ authMode: 'all_users' })), ...UNAUTHORIZED);
    assertError(await anon('PUT', SECURITY, {}), ...UNAUTHORIZED);
  });

  it('PUT with the API key → 401 Unauthorized (§9.5)', async () => {
    const res = await request(c.url, 'PUT', SECURITY, { headers: { 'x-api-key': API_KEY }, json: securityConfigBody({ authMode: 'all_users' }) });
    assertError(res, ...UNAUTHORIZED);
    assert.deepEqual((await anon('GET', SECURITY)).body, DEFAULT_SECURITY);
  });

  const INVALID = [
    ['no authentication', {}, [{ field: 'authentication', message: 'Required' }]],
    ['authentication is a string', { authentication: 'cookie' }, [{ field: 'authentication', message: 'Expected object, received string' }]],
    ['no authMethod', { authentication: { authTransportMode: 'header', authModeToAccessRoom: 'none' } },
      [{ field: 'authentication.authMethod', message: 'Required' }]],
    ['no authTransportMode', { authentication: { authMethod: { type: 'single_user' }, authModeToAccessRoom: 'none' } },
      [{ field: 'authentication.authTransportMode', message: 'Required' }]],
    ['no authModeToAccessRoom', { authentication: { authMethod: { type: 'single_user' }, authTransportMode: 'header' } },
      [{ field: 'authentication.authModeToAccessRoom', message: 'Required' }]],
    ['an unknown authTransportMode', { authentication: { authMethod: { type: 'single_user' }, authTransportMode: 'both', authModeToAccessRoom: 'none' } },
      [{ field: 'authentication.authTransportMode', message: "Invalid enum value. Expected 'cookie' | 'header', received 'both'" }]],
    ['an unknown authModeToAccessRoom', { authentication: { authMethod: { type: 'single_user' }, authTransportMode: 'header', authModeToAccessRoom: 'admins' } },
      [{ field: 'authentication.authModeToAccessRoom', message: "Invalid enum value. Expected 'none' | 'moderators_only' | 'all_users', received 'admins'" }]],
  ];
  for (const [name, body, details] of INVALID) {
    it(`${name} → 422 ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, async () => {
      assertValidation(await admin.call('PUT', SECURITY, { json: body }), details);
    });
  }

  it('an unknown authMethod type → 422 on authentication.authMethod.type', async () => {
    const res = await admin.call('PUT', SECURITY, {
      json: { authentication: { authMethod: { type: 'multi_user' }, authTransportMode: 'header', authModeToAccessRoom: 'none' } },
    });
    assert.equal(res.status, 422, res.text);
    assert.deepEqual(res.body.details.map((d) => d.field), ['authentication.authMethod.type']);
  });

  it('a valid PUT → 200 {message}; GET reflects it; unknown keys are dropped', async () => {
    const body = securityConfigBody({ transport: 'header', authMode: 'moderators_only' });
    body.authentication.extra = 'dropped';
    body.other = 1;
    const res = await admin.call('PUT', SECURITY, { json: body });
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: 'Security config updated successfully' });
    assert.deepEqual((await anon('GET', SECURITY)).body, securityConfigBody({ transport: 'header', authMode: 'moderators_only' }));
    admin.authMode = 'moderators_only';
  });

  it('switching to cookie mode applies at once: the Bearer token stops working, the cookie works', async () => {
    await admin.setSecurity({ transport: 'cookie', authMode: 'all_users' });
    assert.deepEqual((await anon('GET', SECURITY)).body, securityConfigBody({ transport: 'cookie', authMode: 'all_users' }));
    assertError(await request(c.url, 'GET', WEBHOOKS, { headers: bearer(admin.accessToken) }), ...UNAUTHORIZED);
    assertStatus(await request(c.url, 'GET', WEBHOOKS, { headers: cookieHeader({ [ACCESS_COOKIE]: admin.accessToken }) }), 200);
    await admin.setSecurity({ transport: 'header', authMode: 'none' });
    assertStatus(await request(c.url, 'GET', WEBHOOKS, { headers: bearer(admin.accessToken) }), 200);
    assertError(await request(c.url, 'GET', WEBHOOKS, { headers: cookieHeader({ [ACCESS_COOKIE]: admin.accessToken }) }), ...UNAUTHORIZED);
  });
});

// ---------------------------------------------------------------- webhooks

describe('GET/PUT /internal-api/v1/config/webhooks (§4.5)', () => {
  const put = (json) => admin.call('PUT', WEBHOOKS, { json });
  const current = async () => (await admin.call('GET', WEBHOOKS)).body;

  it('GET default → {enabled: false, url: ""} (MEET_INITIAL_WEBHOOK_URL is empty)', async () => {
    const res = await admin.call('GET', WEBHOOKS);
    assertStatus(res, 200);
    assert.deepEqual(res.body, { enabled: false, url: '' });
  });

  it('GET and PUT need the admin: anonymous and API key → 401 Unauthorized', async () => {
    assertError(await anon('GET', WEBHOOKS), ...UNAUTHORIZED);
    assertError(await request(c.url, 'GET', WEBHOOKS, { headers: { 'x-api-key': API_KEY } }), ...UNAUTHORIZED);
    assertError(await anon('PUT', WEBHOOKS, { enabled: true, url: 'https://attacker.example/' }), ...UNAUTHORIZED);
    assertError(await request(c.url, 'PUT', WEBHOOKS, { headers: { 'x-api-key': API_KEY }, json: { enabled: false } }), ...UNAUTHORIZED);
    assert.deepEqual(await current(), { enabled: false, url: '' });
  });

  it('enable with a URL → 200 {message}; GET reflects it', async () => {
    const res = await put({ enabled: true, url: 'https://example.com/hook' });
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: 'Webhooks config updated successfully' });
    assert.deepEqual(await current(), { enabled: true, url: 'https://example.com/hook' });
  });

  it('disable without a URL → the stored URL is kept', async () => {
    assertStatus(await put({ enabled: false }), 200);
    assert.deepEqual(await current(), { enabled: false, url: 'https://example.com/hook' });
  });

  it('disable with a new URL → stored disabled with that URL', async () => {
    assertStatus(await put({ enabled: false, url: 'http://127.0.0.1:8080/x' }), 200);
    assert.deepEqual(await current(), { enabled: false, url: 'http://127.0.0.1:8080/x' });
  });

  it('enable without a URL → 422 URL is required when webhooks are enabled (even with a stored URL)', async () => {
    assertValidation(await put({ enabled: true }), [{ field: 'url', message: 'URL is required when webhooks are enabled' }]);
    assert.deepEqual(await current(), { enabled: false, url: 'http://127.0.0.1:8080/x' });
  });

  const INVALID = [
    ['no enabled', { url: 'https://example.com' }, [{ field: 'enabled', message: 'Required' }]],
    ['enabled as a string', { enabled: 'true', url: 'https://example.com' }, [{ field: 'enabled', message: 'Expected boolean, received string' }]],
    ['a URL that is not a URL', { enabled: false, url: 'not a url' }, [{ field: 'url', message: URL_INVALID }, { field: 'url', message: URL_SCHEME }]],
    ['an ftp URL', { enabled: false, url: 'ftp://example.com/hook' }, [{ field: 'url', message: URL_SCHEME }]],
    ['"http://" alone', { enabled: false, url: 'http://' }, [{ field: 'url', message: URL_INVALID }]],
    ['a relative path', { enabled: true, url: '/hook' }, [{ field: 'url', message: URL_INVALID }, { field: 'url', message: URL_SCHEME }]],
    ['an empty URL while enabled', { enabled: true, url: '' }, [
      { field: 'url', message: URL_INVALID },
      { field: 'url', message: URL_SCHEME },
      { field: 'url', message: 'URL is required when webhooks are enabled' },
    ]],
    ['a numeric URL', { enabled: false, url: 42 }, [{ field: 'url', message: 'Expected string, received number' }]],
  ];
  for (const [name, body, details] of INVALID) {
    it(`${name} → 422 ${details.map((d) => d.message).join('; ')}`, async () => {
      assertValidation(await put(body), details);
      assert.deepEqual(await current(), { enabled: false, url: 'http://127.0.0.1:8080/x' }, 'nothing stored');
    });
  }

  it('"HTTPS://EXAMPLE.COM" passes the URL check but not the case-sensitive scheme check', async () => {
    assertValidation(await put({ enabled: true, url: 'HTTPS://EXAMPLE.COM/' }), [{ field: 'url', message: URL_SCHEME }]);
  });
});

// ---------------------------------------------------------------- webhook test

describe('POST /internal-api/v1/config/webhooks/test (§4.5, §16; deviations §7.4)', () => {
  let receiver;
  before(async () => {
    receiver = await startWebhookReceiver();
  });
  after(async () => {
    await receiver?.close();
  });
  const test = (url, headers) => request(c.url, 'POST', WEBHOOK_TEST, { json: { url }, headers: headers ?? admin.headers() });

  it('anonymous → 401 Unauthorized and nothing is sent (deviations §7.4: admin only)', async () => {
    const before = receiver.received.length;
    assertError(await test(receiver.url, {}), ...UNAUTHORIZED);
    assertError(await test(receiver.url, { 'x-api-key': API_KEY }), ...UNAUTHORIZED);
    assertError(await test(receiver.url, bearer(admin.refreshToken)), 401, 'Authentication Error', 'Invalid token');
    assert.equal(receiver.received.length, before);
  });

  it('anonymous with an invalid body → 401 (authentication first)', async () => {
    assertError(await request(c.url, 'POST', WEBHOOK_TEST, { json: {} }), ...UNAUTHORIZED);
  });

  it('validation: no url → 422 Required; not a URL → both URL messages; ftp → scheme message', async () => {
    assertValidation(await admin.call('POST', WEBHOOK_TEST, { json: {} }), [{ field: 'url', message: 'Required' }]);
    assertValidation(await test('nope'), [{ field: 'url', message: URL_INVALID }, { field: 'url', message: URL_SCHEME }]);
    assertValidation(await test('ftp://127.0.0.1/x'), [{ field: 'url', message: URL_SCHEME }]);
  });

  it('a local receiver answering 200 → 200 Webhook URL is valid; it got one signed testEvent', async () => {
    const before = receiver.received.length;
    const res = await test(receiver.url);
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: 'Webhook URL is valid' });
    assert.equal(receiver.received.length, before + 1);
    const got = receiver.received.at(-1);
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/hook');
    assert.match(got.headers['content-type'], /^application\/json/);
    const body = JSON.parse(got.body);
    assert.deepEqual(Object.keys(body), ['event', 'creationDate', 'data']);
    assert.equal(body.event, 'testEvent');
    assert.deepEqual(body.data, { message: 'This is a test webhook event' });
    assert.ok(Math.abs(body.creationDate - Date.now()) < 10000);
    assert.equal(got.headers['x-timestamp'], String(body.creationDate));
    assert.equal(got.headers['x-signature'], createHmac('sha256', API_KEY).update(`${got.headers['x-timestamp']}.${got.body}`).digest('hex'));
  });

  it('the test is sent to the given URL, not to the configured one, whether webhooks are enabled or not', async () => {
    const other = await startWebhookReceiver();
    try {
      assertStatus(await admin.call('PUT', WEBHOOKS, { json: { enabled: true, url: other.url } }), 200);
      const before = receiver.received.length;
      assertStatus(await test(receiver.url), 200);
      assert.equal(receiver.received.length, before + 1);
      assert.equal(other.received.length, 0);
    } finally {
      assertStatus(await admin.call('PUT', WEBHOOKS, { json: { enabled: false } }), 200);
      await other.close();
    }
  });

  it('a closed port → 400 Webhook Error / Connection refused by server', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/hook`;
    assertError(await test(url), 400, 'Webhook Error', `Webhook URL '${url}' is invalid: Connection refused by server`);
  });

  it('a receiver answering 500 → 400 … Server error (500 Internal Server Error); no retry', async () => {
    receiver.setStatus(500);
    try {
      const before = receiver.received.length;
      assertError(await test(receiver.url), 400, 'Webhook Error', `Webhook URL '${receiver.url}' is invalid: Server error (500 Internal Server Error)`);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(receiver.received.length, before + 1, 'exactly one attempt');
    } finally {
      receiver.setStatus(200);
    }
  });

  it('a receiver answering 404 → 400 … Client error (404 Not Found)', async () => {
    receiver.setStatus(404);
    try {
      assertError(await test(receiver.url), 400, 'Webhook Error', `Webhook URL '${receiver.url}' is invalid: Client error (404 Not Found)`);
    } finally {
      receiver.setStatus(200);
    }
  });

  it('a receiver that never answers → 400 … Request timed out after 5 seconds (bounded)', async () => {
    const http = await import('node:http');
    const silent = http.createServer(() => {});
    await new Promise((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${silent.address().port}/slow`;
    try {
      const t0 = Date.now();
      const res = await request(c.url, 'POST', WEBHOOK_TEST, { json: { url }, headers: admin.headers(), timeoutMs: 12000 });
      assertError(res, 400, 'Webhook Error', `Webhook URL '${url}' is invalid: Request timed out after 5 seconds`);
      assert.ok(Date.now() - t0 >= 4500 && Date.now() - t0 < 10000, `took ${Date.now() - t0} ms`);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it('no API key stored → 400 There are no API keys configured yet. Please, create one to use webhooks.', async () => {
    assertStatus(await admin.call('DELETE', '/internal-api/v1/auth/api-keys'), 200);
    try {
      const before = receiver.received.length;
      assertError(await test(receiver.url), 400, 'Webhook Error', 'There are no API keys configured yet. Please, create one to use webhooks.');
      assert.equal(receiver.received.length, before);
      assertValidation(await test('nope'), [{ field: 'url', message: URL_INVALID }, { field: 'url', message: URL_SCHEME }]);
    } finally {
      const created = await admin.call('POST', '/internal-api/v1/auth/api-keys');
      assertStatus(created, 201);
      currentKey = created.body.key;
    }
    // The signature now uses the new key.
    assertStatus(await test(receiver.url), 200);
    const got = receiver.received.at(-1);
    assert.equal(got.headers['x-signature'], createHmac('sha256', currentKey).update(`${got.headers['x-timestamp']}.${got.body}`).digest('hex'));
  });
});

// ---------------------------------------------------------------- appearance

describe('GET/PUT /internal-api/v1/config/rooms/appearance (§4.5)', () => {
  const put = (themes) => admin.call('PUT', APPEARANCE, { json: { appearance: { themes } } });
  const current = async () => (await anon('GET', APPEARANCE)).body;
  const BASE = { name: 'corporate', enabled: true, baseTheme: 'light' };
  const COLOURS = {
    backgroundColor: '#ffffff',
    primaryColor: '#123',
    secondaryColor: '#1234',
    accentColor: '#12345678',
    surfaceColor: '#abcdef',
  };

  it('GET is public; default → {appearance: {themes: []}}', async () => {
    const res = await anon('GET', APPEARANCE);
    assertStatus(res, 200);
    assert.deepEqual(res.body, { appearance: { themes: [] } });
  });

  it('PUT anonymous or with the API key → 401 Unauthorized', async () => {
    assertError(await anon('PUT', APPEARANCE, { appearance: { themes: [BASE] } }), ...UNAUTHORIZED);
    assertError(await request(c.url, 'PUT', APPEARANCE, { headers: { 'x-api-key': API_KEY }, json: { appearance: { themes: [BASE] } } }), ...UNAUTHORIZED);
    assert.deepEqual(await current(), { appearance: { themes: [] } });
  });

  it('a theme without colours → 200 {message}; GET returns it; no colour appears from nowhere', async () => {
    const res = await put([BASE]);
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: 'Rooms appearance config updated successfully' });
    assert.deepEqual(await current(), { appearance: { themes: [BASE] } });
  });

  it('a theme with all five colours (3, 4, 6 and 8 hex digits) → stored as given', async () => {
    assertStatus(await put([{ ...BASE, ...COLOURS }]), 200);
    assert.deepEqual(await current(), { appearance: { themes: [{ ...BASE, ...COLOURS }] } });
  });

  it('colour carry-over: colours absent from the update are copied from the stored theme', async () => {
    const next = { name: 'night', enabled: false, baseTheme: 'dark', primaryColor: '#000' };
    assertStatus(await put([next]), 200);
    assert.deepEqual(await current(), { appearance: { themes: [{ ...COLOURS, ...next }] } });
  });

  const themeField = (i, f) => `appearance.themes.${i}.${f}`;
  const INVALID = [
    ['no appearance', {}, [{ field: 'appearance', message: 'Required' }]],
    ['no themes', { appearance: {} }, [{ field: 'appearance.themes', message: 'Required' }]],
    ['themes not an array', { appearance: { themes: 'dark' } }, [{ field: 'appearance.themes', message: 'Expected array, received string' }]],
    ['no theme', { appearance: { themes: [] } }, [{ field: 'appearance.themes', message: 'There must be exactly one theme defined' }]],
    ['two themes', { appearance: { themes: [BASE, { ...BASE, name: 'second' }] } }, [{ field: 'appearance.themes', message: 'There must be exactly one theme defined' }]],
    ['an empty name', { appearance: { themes: [{ ...BASE, name: '' }] } }, [
      { field: themeField(0, 'name'), message: 'Theme name cannot be empty' },
      { field: themeField(0, 'name'), message: 'Theme name can only contain letters, numbers, hyphens and underscores' },
    ]],
    ['a 51-character name', { appearance: { themes: [{ ...BASE, name: 'a'.repeat(51) }] } }, [
      { field: themeField(0, 'name'), message: 'Theme name cannot exceed 50 characters' },
    ]],
    ['a name with a space and a dot', { appearance: { themes: [{ ...BASE, name: 'my theme.v2' }] } }, [
      { field: themeField(0, 'name'), message: 'Theme name can only contain letters, numbers, hyphens and underscores' },
    ]],
    ['no name, enabled or baseTheme', { appearance: { themes: [{}] } }, [
      { field: themeField(0, 'name'), message: 'Required' },
      { field: themeField(0, 'enabled'), message: 'Required' },
      { field: themeField(0, 'baseTheme'), message: 'Required' },
    ]],
    ['enabled as a string', { appearance: { themes: [{ ...BASE, enabled: 'yes' }] } }, [
      { field: themeField(0, 'enabled'), message: 'Expected boolean, received string' },
    ]],
    ['an unknown baseTheme', { appearance: { themes: [{ ...BASE, baseTheme: 'blue' }] } }, [
      { field: themeField(0, 'baseTheme'), message: "Invalid enum value. Expected 'light' | 'dark', received 'blue'" },
    ]],
  ];
  for (const [name, body, details] of INVALID) {
    it(`${name} → 422 ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, async () => {
      const before = await current();
      assertValidation(await admin.call('PUT', APPEARANCE, { json: body }), details);
      assert.deepEqual(await current(), before, 'nothing stored');
    });
  }

  for (const colour of Object.keys(COLOURS)) {
    for (const bad of ['fff', '#ff', '#fffff', '#fffffff', '#ggg', 'red', '#1234567890', '']) {
      it(`${colour} = ${JSON.stringify(bad)} → 422 ${HEX}`, async () => {
        assertValidation(await put([{ ...BASE, [colour]: bad }]), [{ field: themeField(0, colour), message: HEX }]);
      });
    }
    it(`${colour} as a number → 422 Expected string, received number`, async () => {
      assertValidation(await put([{ ...BASE, [colour]: 123 }]), [{ field: themeField(0, colour), message: 'Expected string, received number' }]);
    });
  }

  it('two themes with an invalid second one: the length issue and the element issue are both reported', async () => {
    assertValidation(await put([BASE, { ...BASE, baseTheme: 'blue' }]), [
      { field: 'appearance.themes', message: 'There must be exactly one theme defined' },
      { field: themeField(1, 'baseTheme'), message: "Invalid enum value. Expected 'light' | 'dark', received 'blue'" },
    ]);
  });
});

// ---------------------------------------------------------------- persistence and initialisation

describe('persistence across a restart and re-initialisation on a new MEET_NAME_ID (§17.5)', () => {
  let dataDir;
  let srv;
  let newKey;
  let oldAccess;
  const THEME = { name: 'persisted', enabled: true, baseTheme: 'dark', accentColor: '#abc' };

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-e2e-config-'));
  });
  after(async () => {
    if (srv?.child && srv.child.exitCode === null && srv.child.signalCode === null) await srv.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const call = (method, p, opts = {}) => request(srv.url, method, p, opts);

  it('first start: change security, webhooks, appearance, the password and the API key', async () => {
    srv = await startConvene({ dataDir, env: { MEET_LOGIN_RATE_LIMIT: 'off' } });
    const a = await adminSession(srv);
    await a.setSecurity({ transport: 'cookie', authMode: 'all_users' });
    assertStatus(await a.call('PUT', WEBHOOKS, { json: { enabled: true, url: 'https://example.com/persisted' } }), 200);
    assertStatus(await a.call('PUT', APPEARANCE, { json: { appearance: { themes: [THEME] } } }), 200);
    assertStatus(await a.call('POST', '/internal-api/v1/users/change-password', { json: { currentPassword: ADMIN_PASSWORD, newPassword: 'persisted-pw' } }), 200);
    const key = await a.call('POST', '/internal-api/v1/auth/api-keys');
    assertStatus(key, 201);
    newKey = key.body.key;
    oldAccess = a.accessToken;
  });

  it('SIGTERM stops the server cleanly (exit code 0)', async () => {
    const exit = await srv.stop();
    assert.deepEqual(exit, { code: 0, signal: null });
  });

  it('after a restart on the same data dir everything is kept; MEET_INITIAL_* are not re-applied', async () => {
    await srv.restart();
    assert.deepEqual((await call('GET', SECURITY)).body, securityConfigBody({ transport: 'cookie', authMode: 'all_users' }));
    assert.deepEqual((await call('GET', APPEARANCE)).body, { appearance: { themes: [THEME] } });
    // Still cookie mode: the Bearer header is ignored, the cookie works.
    assertError(await call('GET', WEBHOOKS, { headers: bearer(oldAccess) }), ...UNAUTHORIZED);
    assert.deepEqual((await call('GET', WEBHOOKS, { headers: cookieHeader({ [ACCESS_COOKIE]: oldAccess }) })).body,
      { enabled: true, url: 'https://example.com/persisted' });
    assertError(await loginRequest(srv.url), 404, 'Login Error', 'Invalid username or password');
    assertStatus(await loginRequest(srv.url, { password: 'persisted-pw' }), 200);
    assertStatus(await call('GET', '/api/v1/rooms', { headers: { 'x-api-key': newKey } }), 200);
    assertError(await call('GET', '/api/v1/rooms', { headers: { 'x-api-key': API_KEY } }), 401, 'Authentication Error', 'Invalid API key');
  });

  it('an access token issued before the restart is still valid (same LIVEKIT_API_SECRET, same derived key)', async () => {
    const res = await call('GET', '/internal-api/v1/users/profile', { headers: cookieHeader({ [ACCESS_COOKIE]: oldAccess }) });
    assertStatus(res, 200);
  });

  it('an acknowledged change survives a crash (SIGKILL right after the 200; deviations §7.2)', async () => {
    const headers = cookieHeader({ [ACCESS_COOKIE]: oldAccess });
    const crashTheme = { name: 'crash', enabled: false, baseTheme: 'light' };
    assertStatus(await call('PUT', APPEARANCE, { headers, json: { appearance: { themes: [crashTheme] } } }), 200);
    assertStatus(await call('PUT', SECURITY, { headers, json: securityConfigBody({ transport: 'header', authMode: 'all_users' }) }), 200);
    await srv.kill();
    await srv.restart();
    assert.deepEqual((await call('GET', APPEARANCE)).body, { appearance: { themes: [{ ...crashTheme, accentColor: '#abc' }] } });
    assert.deepEqual((await call('GET', SECURITY)).body, securityConfigBody({ transport: 'header', authMode: 'all_users' }));
  });

  it('a restart with a different MEET_INITIAL_ADMIN_PASSWORD and the same MEET_NAME_ID changes nothing', async () => {
    await srv.stop();
    srv = await startConvene({ dataDir, env: { MEET_LOGIN_RATE_LIMIT: 'off', MEET_INITIAL_ADMIN_PASSWORD: 'from-env' } });
    assertError(await loginRequest(srv.url, { password: 'from-env' }), 404, 'Login Error', 'Invalid username or password');
    assertStatus(await loginRequest(srv.url, { password: 'persisted-pw' }), 200);
  });

  it('a new MEET_NAME_ID re-initialises: default config, the admin password from the environment, MEET_INITIAL_API_KEY', async () => {
    await srv.stop();
    srv = await startConvene({ dataDir, env: { MEET_LOGIN_RATE_LIMIT: 'off', MEET_NAME_ID: 'anotherProject' } });
    assert.deepEqual((await call('GET', SECURITY)).body, DEFAULT_SECURITY);
    assert.deepEqual((await call('GET', APPEARANCE)).body, { appearance: { themes: [] } });
    assertError(await loginRequest(srv.url, { password: 'persisted-pw' }), 404, 'Login Error', 'Invalid username or password');
    const a = await adminSession(srv);
    assert.deepEqual((await a.call('GET', WEBHOOKS)).body, { enabled: false, url: '' });
    assertStatus(await call('GET', '/api/v1/rooms', { headers: { 'x-api-key': API_KEY } }), 200);
    assertError(await call('GET', '/api/v1/rooms', { headers: { 'x-api-key': newKey } }), 401, 'Authentication Error', 'Invalid API key');
  });

  it('restarting again with that MEET_NAME_ID does not re-initialise (changes made after it persist)', async () => {
    const a = await adminSession(srv);
    await a.setSecurity({ authMode: 'moderators_only' });
    await srv.stop();
    await srv.restart();
    assert.deepEqual((await call('GET', SECURITY)).body, securityConfigBody({ transport: 'header', authMode: 'moderators_only' }));
  });

  it('re-initialisation without MEET_INITIAL_API_KEY keeps the stored key', async () => {
    const a = await adminSession(srv);
    const key = await a.call('POST', '/internal-api/v1/auth/api-keys');
    assertStatus(key, 201);
    await srv.stop();
    srv = await startConvene({ dataDir, env: { MEET_LOGIN_RATE_LIMIT: 'off', MEET_NAME_ID: 'thirdProject', MEET_INITIAL_API_KEY: '' } });
    assert.deepEqual((await call('GET', SECURITY)).body, DEFAULT_SECURITY, 're-initialised');
    assertStatus(await call('GET', '/api/v1/rooms', { headers: { 'x-api-key': key.body.key } }), 200);
  });
});

// Global HTTP behaviour: 404 for unknown API paths and wrong methods, body/header limits, malformed
// HTTP, x-request-id, CORS, base URL derivation and API-key edge cases.
// Spec: reference-api.md §1.2 (SERVER_CORS_ORIGIN, MEET_BASE_URL), §2.1, §2.2, §3.1, §6.5;
// convene-deviations.md §7.1; the lead's brief for the limits (100 KiB body, 16 KiB headers).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API_KEY, apiClient, request, startConvene } from './support/convene.mjs';
import {
  assertError,
  assertStatus,
  createRoom,
  rawExchange,
  roomIdPattern,
} from './support/rooms.mjs';

let server;
let api;

before(async () => {
  server = await startConvene();
  api = apiClient(server);
});

after(async () => {
  await server?.close();
});

const NOT_IMPLEMENTED = ['Path Not Found', 'API path not implemented'];

describe('unknown paths and methods → 404 Path Not Found', () => {
  const cases = [
    ['GET', '/api/v1/nope'],
    ['GET', '/api/v2/rooms'],
    ['POST', '/internal-api/v1/nope'],
    ['GET', '/internal-api/v1/rooms'],
    ['GET', '/api/v1/rooms/some-room/unknown'],
    ['GET', '/api/v1/rooms/a/b/c/d'],
    ['PATCH', '/api/v1/rooms'],
    ['PUT', '/api/v1/rooms'],
    ['POST', '/api/v1/rooms/some-room'],
    ['PATCH', '/api/v1/rooms/some-room'],
    ['PUT', '/api/v1/rooms/some-room'],
    ['GET', '/api/v1/rooms/some-room/status'],
    ['POST', '/api/v1/rooms/some-room/config'],
    ['DELETE', '/api/v1/rooms/some-room/config'],
    ['POST', '/internal-api/v1/rooms/some-room/roles'],
    ['DELETE', '/internal-api/v1/rooms/some-room/roles/abc'],
    ['GET', '/internal-api/v1/rooms/some-room/recording-token'],
  ];
  for (const [method, path] of cases) {
    it(`${method} ${path}`, async () => {
      const res = await api[{ GET: 'get', POST: 'post', PUT: 'put', PATCH: 'patch', DELETE: 'del' }[method]](path);
      assertError(res, 404, ...NOT_IMPLEMENTED);
    });
  }

  it('is 404 (not 401) without credentials', async () => {
    assertError(await request(server.url, 'GET', '/api/v1/nope'), 404, ...NOT_IMPLEMENTED);
    assertError(await request(server.url, 'PATCH', '/api/v1/rooms'), 404, ...NOT_IMPLEMENTED);
  });
});

describe('request size limits and malformed HTTP (raw sockets)', () => {
  it('a JSON body just under 100 KiB is accepted', async () => {
    const body = JSON.stringify({ roomName: 'big-ok', pad: 'x'.repeat(90 * 1024) });
    const res = await api.post('/api/v1/rooms', { body, headers: { 'content-type': 'application/json' } });
    assertStatus(res, 201);
    assert.equal(res.body.roomName, 'big-ok');
    assert.equal('pad' in res.body, false);
  });

  it('a body over 100 KiB (Content-Length) → 413 JSON Payload Too Large', async () => {
    const body = JSON.stringify({ roomName: 'too-big', pad: 'x'.repeat(101 * 1024) });
    const head =
      `POST /api/v1/rooms HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nx-api-key: ${API_KEY}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const res = await rawExchange(server.port, [head, body], { timeoutMs: 8000 });
    assert.equal(res.status, 413, res.raw.slice(0, 500));
    assert.match(res.headers['content-type'] ?? '', /application\/json/);
    assert.equal(res.json?.error, 'Payload Too Large', res.body);
    assert.equal(typeof res.json?.message, 'string');
    const list = await api.get('/api/v1/rooms?roomName=too-big');
    assert.deepEqual(list.body.rooms, [], 'no room created');
  });

  it('a chunked body over 100 KiB → 413', async () => {
    const body = JSON.stringify({ roomName: 'too-big-chunked', pad: 'y'.repeat(120 * 1024) });
    const head =
      `POST /api/v1/rooms HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nx-api-key: ${API_KEY}\r\n` +
      'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunks = [];
    for (let i = 0; i < body.length; i += 16 * 1024) {
      const part = body.slice(i, i + 16 * 1024);
      chunks.push(`${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`);
    }
    chunks.push('0\r\n\r\n');
    const res = await rawExchange(server.port, [head, ...chunks], { timeoutMs: 8000, gapMs: 50 });
    assert.equal(res.status, 413, res.raw.slice(0, 500));
    assert.equal(res.json?.error, 'Payload Too Large', res.body);
  });

  it('headers over 16 KiB → 431', async () => {
    const req =
      `GET /api/v1/rooms HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nx-api-key: ${API_KEY}\r\n` +
      `x-filler: ${'h'.repeat(17 * 1024)}\r\n\r\n`;
    const res = await rawExchange(server.port, req, { timeoutMs: 5000 });
    assert.equal(res.status, 431, res.raw.slice(0, 500));
  });

  it('headers a little under 16 KiB are fine', async () => {
    const res = await api.get('/api/v1/rooms', { headers: { 'x-filler': 'h'.repeat(12 * 1024) } });
    assertStatus(res, 200);
  });

  it('malformed request line → 400 and the connection is closed', async () => {
    const res = await rawExchange(server.port, 'THIS IS NOT HTTP\r\n\r\n', { timeoutMs: 5000 });
    assert.equal(res.status, 400, res.raw.slice(0, 500));
    assert.equal(res.closed, true, 'server closed the connection');
  });

  it('malformed header syntax → 400 and the connection is closed', async () => {
    const res = await rawExchange(server.port, `GET /health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n`, { timeoutMs: 5000 });
    assert.equal(res.status, 400, res.raw.slice(0, 500));
    assert.equal(res.closed, true);
  });

  it('the server still serves after the bad requests', async () => {
    assertStatus(await api.get('/api/v1/rooms'), 200);
  });

  it('keep-alive: two requests on one connection', async () => {
    const one = `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    const two = `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
    const res = await rawExchange(server.port, one + two, { timeoutMs: 5000 });
    assert.equal((res.raw.match(/HTTP\/1\.1 200/g) ?? []).length, 2, res.raw);
    assert.equal(res.closed, true);
  });
});

describe('x-request-id', () => {
  it('every response carries one, distinct per request', async () => {
    const a = await api.get('/api/v1/rooms');
    const b = await request(server.url, 'GET', '/api/v1/nope');
    const c = await request(server.url, 'GET', '/api/v1/rooms');
    const d = await request(server.url, 'GET', '/health');
    const ids = [a, b, c, d].map((r) => r.headers.get('x-request-id'));
    for (const id of ids) assert.ok(id && id.length > 0, `x-request-id present (${ids})`);
    assert.equal(new Set(ids).size, 4);
  });

  it('a safe incoming x-request-id is echoed', async () => {
    const res = await api.get('/api/v1/rooms', { headers: { 'x-request-id': 'e2e-Req_1.abc' } });
    assert.equal(res.headers.get('x-request-id'), 'e2e-Req_1.abc');
    const err = await request(server.url, 'POST', '/api/v1/rooms', { json: {}, headers: { 'x-request-id': 'unauth-42' } });
    assertStatus(err, 401);
    assert.equal(err.headers.get('x-request-id'), 'unauth-42');
  });

  it('an unsafe incoming x-request-id is replaced', async () => {
    for (const bad of ['<script>alert(1)</script>', 'has space', 'r'.repeat(300)]) {
      const res = await api.get('/api/v1/rooms', { headers: { 'x-request-id': bad } });
      const id = res.headers.get('x-request-id');
      assert.ok(id && id.length > 0);
      assert.notEqual(id, bad);
    }
  });
});

describe('CORS (SERVER_CORS_ORIGIN, default *)', () => {
  it('simple requests get allow-origin * and allow-credentials true', async () => {
    const res = await api.get('/api/v1/rooms', { headers: { origin: 'http://app.example.com' } });
    assertStatus(res, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    const err = await request(server.url, 'GET', '/api/v1/rooms', { headers: { origin: 'http://app.example.com' } });
    assertStatus(err, 401);
    assert.equal(err.headers.get('access-control-allow-origin'), '*', 'error responses carry CORS headers too');
  });

  it('preflight → 204 with allow-methods, without authentication', async () => {
    const res = await request(server.url, 'OPTIONS', '/api/v1/rooms/some-room', {
      headers: {
        origin: 'http://app.example.com',
        'access-control-request-method': 'DELETE',
        'access-control-request-headers': 'x-api-key,content-type',
      },
    });
    assert.equal(res.status, 204, res.text);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    const methods = (res.headers.get('access-control-allow-methods') ?? '').toUpperCase().split(/\s*,\s*/);
    for (const m of ['GET', 'POST', 'PUT', 'DELETE']) assert.ok(methods.includes(m), `allow-methods has ${m}: ${methods}`);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    assert.ok(allowed.includes('x-api-key'), `allow-headers has x-api-key: ${allowed}`);
    assert.ok(allowed.includes('content-type'), `allow-headers has content-type: ${allowed}`);
  });

  it('a fixed origin is sent as configured', async () => {
    const s = await startConvene({ env: { SERVER_CORS_ORIGIN: 'https://app.example.com' } });
    try {
      const res = await apiClient(s).get('/api/v1/rooms', { headers: { origin: 'https://app.example.com' } });
      assertStatus(res, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.com');
      assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    } finally {
      await s.close();
    }
  });

  it('SERVER_CORS_ORIGIN="" disables CORS headers', async () => {
    const s = await startConvene({ env: { SERVER_CORS_ORIGIN: '' } });
    try {
      const res = await apiClient(s).get('/api/v1/rooms', { headers: { origin: 'http://app.example.com' } });
      assertStatus(res, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
      assert.equal(res.headers.get('access-control-allow-credentials'), null);
      const pre = await request(s.url, 'OPTIONS', '/api/v1/rooms', {
        headers: { origin: 'http://app.example.com', 'access-control-request-method': 'POST' },
      });
      assert.equal(pre.headers.get('access-control-allow-origin'), null);
      assert.equal(pre.headers.get('access-control-allow-methods'), null);
    } finally {
      await s.close();
    }
  });
});

describe('base URL of room links', () => {
  function rawCreate(port, hostHeader, extra = '') {
    const body = '{"roomName":"host test"}';
    return rawExchange(port,
      `POST /api/v1/rooms HTTP/1.1\r\nHost: ${hostHeader}\r\nx-api-key: ${API_KEY}\r\n${extra}` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  }

  it('without MEET_BASE_URL, links use the request Host', async () => {
    const res = await rawCreate(server.port, 'rooms.example.org:8443');
    assert.equal(res.status, 201, res.raw.slice(0, 500));
    const room = res.json;
    assert.match(room.moderatorUrl, new RegExp(`^http://rooms\\.example\\.org:8443/room/${room.roomId}\\?secret=[0-9a-f]{10}$`));
    assert.match(room.speakerUrl, new RegExp(`^http://rooms\\.example\\.org:8443/room/${room.roomId}\\?secret=[0-9a-f]{10}$`));
    assert.equal(res.headers.location, `http://rooms.example.org:8443/api/v1/rooms/${room.roomId}`);
  });

  it('the base URL is per request, not the last request (deviation §7.1)', async () => {
    const room = await createRoom(api, { roomName: 'per request' });
    const get = (host) => rawExchange(server.port,
      `GET /api/v1/rooms/${room.roomId} HTTP/1.1\r\nHost: ${host}\r\nx-api-key: ${API_KEY}\r\nConnection: close\r\n\r\n`);
    const [a, b] = await Promise.all([get('a.example.com'), get('b.example.com:9000')]);
    assert.equal(a.status, 200, a.raw.slice(0, 300));
    assert.equal(b.status, 200, b.raw.slice(0, 300));
    assert.ok(a.json.moderatorUrl.startsWith(`http://a.example.com/room/${room.roomId}?secret=`), a.json.moderatorUrl);
    assert.ok(b.json.moderatorUrl.startsWith(`http://b.example.com:9000/room/${room.roomId}?secret=`), b.json.moderatorUrl);
    const c = await api.get(`/api/v1/rooms/${room.roomId}`);
    assert.equal(c.body.moderatorUrl, room.moderatorUrl, 'the stored room is unchanged');
  });

  it('X-Forwarded-Proto is ignored unless SERVER_TRUST_PROXY=true', async () => {
    const res = await rawCreate(server.port, 'proxy.example.org', 'X-Forwarded-Proto: https\r\n');
    assert.equal(res.status, 201, res.raw.slice(0, 500));
    assert.ok(res.json.moderatorUrl.startsWith('http://proxy.example.org/room/'), res.json.moderatorUrl);
  });

  it('SERVER_TRUST_PROXY: X-Forwarded-Proto/Host are read at the same hop as the client address', async () => {
    // Each proxy appends what it saw; the entries left of the trusted proxies' came from the client.
    const forwarded = 'X-Forwarded-Host: evil.example, meet.example.org, inner.internal\r\n' +
      'X-Forwarded-Proto: http, https, http\r\n';
    for (const [trust, expected] of [['true', 'http://inner.internal/'], ['2', 'https://meet.example.org/'],
      ['5', 'http://evil.example/']]) {
      const s = await startConvene({ env: { SERVER_TRUST_PROXY: trust } });
      try {
        const res = await rawCreate(s.port, 'backend.internal', forwarded);
        assert.equal(res.status, 201, res.raw.slice(0, 500));
        assert.ok(res.json.moderatorUrl.startsWith(`${expected}room/`), `${trust}: ${res.json.moderatorUrl}`);
        assert.ok(res.headers.location.startsWith(`${expected}api/v1/rooms/`), `${trust}: ${res.headers.location}`);
      } finally {
        await s.close();
      }
    }
  });

  it('MEET_BASE_URL=https://meet.example.com:443/ → https://meet.example.com', async () => {
    const s = await startConvene({ env: { MEET_BASE_URL: 'https://meet.example.com:443/' } });
    try {
      const c = apiClient(s);
      const res = await c.post('/api/v1/rooms', { json: { roomName: 'Base Url' } });
      assertStatus(res, 201);
      const id = res.body.roomId;
      assert.match(id, roomIdPattern('BaseUrl'));
      assert.match(res.body.moderatorUrl, new RegExp(`^https://meet\\.example\\.com/room/${id}\\?secret=[0-9a-f]{10}$`));
      assert.match(res.body.speakerUrl, new RegExp(`^https://meet\\.example\\.com/room/${id}\\?secret=[0-9a-f]{10}$`));
      assert.equal(res.headers.get('location'), `https://meet.example.com/api/v1/rooms/${id}`);
      const got = await c.get(`/api/v1/rooms/${id}`);
      assert.equal(got.body.moderatorUrl, res.body.moderatorUrl);
      const list = await c.get('/api/v1/rooms');
      assert.equal(list.body.rooms[0].speakerUrl, res.body.speakerUrl);
      // The Host header no longer matters.
      const raw = await rawCreate(s.port, 'evil.example.net');
      assert.equal(raw.status, 201);
      assert.ok(raw.json.moderatorUrl.startsWith('https://meet.example.com/room/'), raw.json.moderatorUrl);
    } finally {
      await s.close();
    }
  });

  it('MEET_BASE_URL=http://meet.example.com:80/sub/ → http://meet.example.com/sub', async () => {
    const s = await startConvene({ env: { MEET_BASE_URL: 'http://meet.example.com:80/sub/' } });
    try {
      const res = await apiClient(s).post('/api/v1/rooms', { json: {} });
      assertStatus(res, 201);
      assert.ok(res.body.moderatorUrl.startsWith(`http://meet.example.com/sub/room/${res.body.roomId}?secret=`), res.body.moderatorUrl);
      assert.equal(res.headers.get('location'), `http://meet.example.com/sub/api/v1/rooms/${res.body.roomId}`);
    } finally {
      await s.close();
    }
  });
});

describe('API key edge cases (§3.1)', () => {
  it('with no API key configured: 401 "There are no API keys configured yet…" for a supplied key', async () => {
    const s = await startConvene({ env: { MEET_INITIAL_API_KEY: '' } });
    try {
      const res = await request(s.url, 'POST', '/api/v1/rooms', { json: {}, headers: { 'x-api-key': 'meet-api-key' } });
      assertError(res, 401, 'Authentication Error', 'There are no API keys configured yet. Please, create one to access the API');
      const res2 = await request(s.url, 'GET', '/api/v1/rooms');
      assertError(res2, 401, 'Authentication Error', 'Unauthorized');
    } finally {
      await s.close();
    }
  });

  it('the key is compared exactly (case and surrounding text matter)', async () => {
    for (const key of ['MEET-API-KEY', 'meet-api-key2', 'meet-api-ke']) {
      const res = await request(server.url, 'GET', '/api/v1/rooms', { headers: { 'x-api-key': key } });
      assertError(res, 401, 'Authentication Error', 'Invalid API key');
    }
  });
});

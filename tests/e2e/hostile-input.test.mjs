// Hostile input catalogue (issue #6): each case gets a clean 4xx (a JSON error body in valid UTF-8)
// or a closed connection, never a 5xx, a hang or a crash, and after each case the server still
// answers /health and a normal API request.
//
// Cases covered elsewhere, not repeated here:
//   http-behaviour.test.mjs: headers over 16 KiB → 431, a body over 100 KiB (Content-Length and
//     chunked) → 413, malformed request line / header syntax → 400 + close, keep-alive, unsafe
//     x-request-id replaced, X-Forwarded-Proto ignored without SERVER_TRUST_PROXY.
//   rooms-create.test.mjs: 50 000 nested arrays / 5 000 nested objects in a room body, duplicate
//     roomName keys (last wins), trailing garbage, non-object JSON.
//   security-token-attacks.test.mjs, security-matrix.test.mjs: JWT tampering, route spelling.
//   fuzz/ (make fuzz-smoke): the body, query, path and cookie parsers under libFuzzer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { API_KEY, adminSession, request, startWebhookReceiver } from './support/convene.mjs';
import { assertStatus, secretsOf, startStack, sleep } from './support/livekit.mjs';
import { parseRawResponse } from './support/rooms.mjs';

let stack;
let url;
let port;
let room; // a room that exists, for the id and token cases
let admin;

before(async () => {
  stack = await startStack({ webhooks: false });
  url = stack.convene.url;
  port = stack.convene.port;
  room = await stack.createRoom({ roomName: 'hostile' });
  admin = await adminSession(stack.convene);
});

after(async () => {
  await stack?.close();
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Raw TCP exchange on 127.0.0.1. `parts` (strings or Buffers) are written in order, `gapMs` apart;
 * writing stops once the server has answered or closed. Resolves after the peer closes, or
 * `timeoutMs` passes, with {bytes, raw (latin1), status, headers, body, json, closed, ms}.
 */
function raw(parts, { timeoutMs = 5000, gapMs = 20, endAfter = false } = {}) {
  return new Promise((resolve) => {
    const chunks = [];
    let closed = false;
    let finished = false;
    const t0 = Date.now();
    const socket = net.createConnection({ host: '127.0.0.1', port });
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      const bytes = Buffer.concat(chunks);
      const text = bytes.toString('latin1');
      resolve({ ...parseRawResponse(text), bytes, raw: text, closed, ms: Date.now() - t0 });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => { closed = true; finish(); });
    socket.on('close', () => { closed = true; finish(); });
    socket.on('error', () => { closed = true; }); // EPIPE / ECONNRESET: the server hung up
    socket.once('connect', async () => {
      const list = Array.isArray(parts) ? parts : [parts];
      for (let i = 0; i < list.length; i++) {
        if (finished || socket.destroyed || chunks.length > 0) return;
        socket.write(list[i]);
        if (i < list.length - 1 && gapMs > 0) await sleep(gapMs);
      }
      if (endAfter && !socket.destroyed) socket.end();
    });
  });
}

/** Every response in a raw byte stream (pipelining): their status codes. */
function statuses(text) {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
}

function head(method, path, headers = {}, { auth = true } = {}) {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`];
  if (auth) lines.push(`x-api-key: ${API_KEY}`);
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** A JSON request with a body given as raw bytes (Buffer) or text, over a raw socket. */
function rawJson(method, path, body, headers = {}) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return raw([Buffer.concat([
    Buffer.from(head(method, path, { 'Content-Type': 'application/json', 'Content-Length': buf.length, Connection: 'close', ...headers })),
    buf,
  ])]);
}

function describeRaw(res) {
  return `status ${res.status}, closed ${res.closed}: ${res.raw.slice(0, 400)}`;
}

/** A clean client error: 4xx, and a JSON body (if any) that is valid UTF-8 JSON with an error. */
function assertClean4xx(res, allowed = null) {
  assert.ok(res.status >= 400 && res.status < 500, describeRaw(res));
  if (allowed) assert.ok(allowed.includes(res.status), `expected one of ${allowed}: ${describeRaw(res)}`);
  const text = utf8.decode(Buffer.from(res.body, 'latin1'));
  if (/json/.test(res.headers['content-type'] ?? '')) {
    const json = JSON.parse(text);
    assert.equal(typeof json.error, 'string', describeRaw(res));
  }
}

/** A clean 4xx, or the connection closed without any response bytes (never a 5xx or a hang). */
function assertClean4xxOrClosed(res, allowed = null) {
  if (res.status === 0) {
    assert.ok(res.closed, `no answer and the connection is still open after ${res.ms} ms: ${describeRaw(res)}`);
    return;
  }
  assertClean4xx(res, allowed);
  assert.ok(res.closed, `the connection is closed after the error: ${describeRaw(res)}`);
}

/** A clean answer: 2xx or 4xx, JSON bodies in valid UTF-8. */
function assertNot5xx(res) {
  const status = res.status;
  assert.ok(status >= 200 && status < 500, `HTTP ${status}: ${(res.text ?? res.raw ?? '').slice(0, 400)}`);
}

/** The server keeps serving others: /health and an authenticated API request answer 200 quickly. */
async function stillServing() {
  const health = await request(url, 'GET', '/health', { timeoutMs: 5000 });
  assert.equal(health.status, 200, 'GET /health');
  const list = await request(url, 'GET', '/api/v1/rooms?maxItems=1', { headers: { 'x-api-key': API_KEY }, timeoutMs: 5000 });
  assert.equal(list.status, 200, `GET /api/v1/rooms: ${list.text.slice(0, 300)}`);
  assert.equal(stack.convene.child.exitCode, null, 'the server is running');
}

/** The response body is valid UTF-8 and, for JSON, parses. */
function assertValidUtf8Json(res) {
  const text = utf8.decode(Buffer.from(res.body ?? '', 'latin1'));
  if (/json/.test(res.headers['content-type'] ?? '') && text !== '') JSON.parse(text);
}

// --------------------------------------------------------------------------- oversized headers
describe('oversized headers', () => {
  it('2 000 small headers (over 16 KiB in total) → 431 or close', async () => {
    const headers = {};
    for (let i = 0; i < 2000; i++) headers[`x-h${i}`] = 'v';
    assertClean4xxOrClosed(await raw(head('GET', '/api/v1/rooms', headers)), [431, 400]);
    await stillServing();
  });

  it('a 1 MiB header line trickled in 16 KiB pieces → 431 or close before the end', async () => {
    const parts = [`GET /api/v1/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nx-big: `];
    for (let i = 0; i < 64; i++) parts.push('b'.repeat(16 * 1024));
    parts.push('\r\n\r\n');
    const res = await raw(parts, { gapMs: 5 });
    assertClean4xxOrClosed(res, [431, 400]);
    await stillServing();
  });

  it('a 64 KiB request target → 4xx (414/431/400) or close', async () => {
    assertClean4xxOrClosed(await raw(head('GET', `/api/v1/rooms/${'r'.repeat(64 * 1024)}`)));
    await stillServing();
  });

  it('a 64 KiB header name → 431/400 or close', async () => {
    assertClean4xxOrClosed(await raw(`GET /health HTTP/1.1\r\nHost: x\r\n${'n'.repeat(64 * 1024)}: v\r\n\r\n`));
    await stillServing();
  });
});

// --------------------------------------------------------------------------- oversized bodies
describe('oversized bodies', () => {
  it('Content-Length of 10 GiB with a few bytes sent → 413 at once (nothing buffered)', async () => {
    const res = await raw([head('POST', '/api/v1/rooms', { 'Content-Type': 'application/json', 'Content-Length': 10 * 1024 ** 3 }), '{"roomName":'], { timeoutMs: 5000 });
    assertClean4xxOrClosed(res, [413]);
    assert.ok(res.ms < 4000, `answered without waiting for the body (${res.ms} ms)`);
    await stillServing();
  });

  it('Content-Length beyond 2^64 → 400/413 and close', async () => {
    assertClean4xxOrClosed(await raw([head('POST', '/api/v1/rooms', { 'Content-Type': 'application/json', 'Content-Length': '99999999999999999999999' }), '{}']), [400, 413]);
    await stillServing();
  });

  it('negative and non-numeric Content-Length → 400 and close', async () => {
    for (const length of ['-1', '12abc', '0x10', '1 2']) {
      assertClean4xxOrClosed(await raw([head('POST', '/api/v1/rooms', { 'Content-Type': 'application/json', 'Content-Length': length }), '{}']), [400]);
    }
    await stillServing();
  });

  it('two different Content-Length headers → 400 and close (no request smuggling)', async () => {
    const req = `POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\nx-api-key: ${API_KEY}\r\nContent-Type: application/json\r\n` +
      'Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}';
    assertClean4xxOrClosed(await raw(req), [400]);
    await stillServing();
  });

  it('Expect: 100-continue with an oversized Content-Length → 413, the body is never sent', async () => {
    const res = await raw(head('POST', '/api/v1/rooms', { 'Content-Type': 'application/json', 'Content-Length': 5 * 1024 * 1024, Expect: '100-continue' }));
    assertClean4xxOrClosed(res, [413, 417]);
    await stillServing();
  });
});

// --------------------------------------------------------------------------- slow clients
describe('slow clients (slowloris)', () => {
  it('connections trickling headers or a body are cut off at the read deadline while others are served', { timeout: 60000 }, async () => {
    // ServerOptions::read_timeout is 15 s: a request must be complete within it once it started.
    const N = 20;
    const started = Date.now();
    const slow = Array.from({ length: N }, (_, i) => new Promise((resolve) => {
      const socket = net.createConnection({ host: '127.0.0.1', port });
      let timer;
      let got = '';
      const done = (how) => { clearInterval(timer); socket.destroy(); resolve({ how, ms: Date.now() - started, got }); };
      socket.on('data', (c) => { got += c.toString('latin1'); });
      socket.on('close', () => done('closed'));
      socket.on('error', () => {});
      socket.once('connect', () => {
        // Half trickle header lines, half send full headers and trickle the body.
        if (i % 2 === 0) socket.write('GET /api/v1/rooms HTTP/1.1\r\nHost: x\r\n');
        else socket.write(head('POST', '/api/v1/rooms', { 'Content-Type': 'application/json', 'Content-Length': 1000 }));
        let n = 0;
        timer = setInterval(() => {
          if (Date.now() - started > 40000) return done('still open after 40 s');
          socket.write(i % 2 === 0 ? `x-slow-${n++}: 1\r\n` : ' ');
        }, 1000);
      });
    }));
    // Meanwhile other clients are served promptly.
    const latencies = [];
    for (let i = 0; i < 20; i++) {
      const t0 = Date.now();
      const res = await request(url, 'GET', '/api/v1/rooms?maxItems=1', { headers: { 'x-api-key': API_KEY }, timeoutMs: 5000 });
      assert.equal(res.status, 200);
      latencies.push(Date.now() - t0);
      await sleep(500);
    }
    const results = await Promise.all(slow);
    for (const r of results) {
      assert.equal(r.how, 'closed', JSON.stringify(r));
      assert.ok(r.ms < 30000, `cut off after ${r.ms} ms`);
      // Nothing was routed: at most an error response before the close.
      assert.ok(r.got === '' || /^HTTP\/1\.1 4\d\d /.test(r.got), r.got.slice(0, 200));
    }
    assert.ok(Math.max(...latencies) < 3000, `other clients served meanwhile: ${latencies.join(',')} ms`);
    await stillServing();
  });
});

// --------------------------------------------------------------------------- invalid UTF-8
describe('invalid UTF-8', () => {
  const bodies = {
    'a raw 0xFF byte': Buffer.from([...Buffer.from('{"roomName":"a'), 0xff, ...Buffer.from('b"}')]),
    'an overlong "/" (C0 AF)': Buffer.from([...Buffer.from('{"roomName":"a'), 0xc0, 0xaf, ...Buffer.from('"}')]),
    'a truncated 3-byte sequence': Buffer.from([...Buffer.from('{"roomName":"a'), 0xe2, 0x82, ...Buffer.from('"}')]),
    'an encoded surrogate (ED A0 80)': Buffer.from([...Buffer.from('{"roomName":"a'), 0xed, 0xa0, 0x80, ...Buffer.from('"}')]),
    'a raw byte in a key': Buffer.from([...Buffer.from('{"room'), 0xfe, ...Buffer.from('Name":"a"}')]),
  };
  for (const [name, body] of Object.entries(bodies)) {
    it(`room body with ${name} → 400 Malformed body`, async () => {
      const res = await rawJson('POST', '/api/v1/rooms', body);
      assertClean4xx(res, [400]);
      assert.equal(res.json?.message, 'Malformed body');
      await stillServing();
    });
  }

  it('participant name with a raw 0xFF byte → 400 Malformed body', async () => {
    const body = Buffer.concat([Buffer.from(`{"roomId":"${room.roomId}","secret":"${room.secrets.speaker}","participantName":"x`), Buffer.from([0xff]), Buffer.from('"}')]);
    assertClean4xx(await rawJson('POST', '/internal-api/v1/participants/token', body), [400]);
    await stillServing();
  });

  it('escaped lone surrogates (valid JSON syntax) → a clean answer whose JSON is valid UTF-8', async () => {
    for (const name of ['\\ud800', '\\udfff', 'a\\ud83d', '\\ud83d\\ud83d']) {
      const res = await rawJson('POST', '/api/v1/rooms', `{"roomName":"${name}"}`);
      assert.ok([201, 400, 422].includes(res.status), describeRaw(res));
      assertValidUtf8Json(res);
      const token = await rawJson('POST', '/internal-api/v1/participants/token',
        `{"roomId":"${room.roomId}","secret":"${room.secrets.speaker}","participantName":"${name}"}`);
      assert.ok([200, 400, 422].includes(token.status), describeRaw(token));
      assertValidUtf8Json(token);
    }
    await stillServing();
  });

  it('invalid UTF-8 in a path id → 4xx, and the error echoes no invalid bytes', async () => {
    for (const id of ['%FF%FE', 'a%C0%AFb', '%ED%A0%80', `${room.roomId}%FF`]) {
      for (const method of id.startsWith(room.roomId) ? ['GET'] : ['GET', 'DELETE']) {
        const res = await raw(head(method, `/api/v1/rooms/${id}`, { Connection: 'close' }));
        assertValidUtf8Json(res);
        // Ids are sanitised as the reference does (invalid characters dropped), so the existing
        // room's id followed by a stray byte still names that room; nothing else may match.
        if (id.startsWith(room.roomId) && method === 'GET' && res.status === 200) {
          assert.equal(res.json.roomId, room.roomId);
          continue;
        }
        assertClean4xx(res);
      }
      if (id.startsWith(room.roomId)) continue;
      const cfg = await raw(head('GET', `/api/v1/rooms/${id}/config`, { Connection: 'close' }));
      assertClean4xx(cfg);
      assertValidUtf8Json(cfg);
    }
    assert.equal((await stack.api.get(`/api/v1/rooms/${room.roomId}`)).status, 200, 'the room is untouched');
    await stillServing();
  });

  it('invalid UTF-8 in query parameters → a clean answer', async () => {
    for (const q of ['roomName=%FF', 'nextPageToken=%FF%FE', 'maxItems=%FF', 'fields=%C0%AF', 'status=%ED%A0%80']) {
      const res = await raw(head('GET', `/api/v1/rooms?${q}`, { Connection: 'close' }));
      assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), describeRaw(res));
      assertValidUtf8Json(res);
    }
    await stillServing();
  });

  it('obs-text bytes in header values (API key, cookie) → 401, not a crash', async () => {
    const req1 = Buffer.concat([Buffer.from(`GET /api/v1/rooms HTTP/1.1\r\nHost: x\r\nConnection: close\r\nx-api-key: `), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('\r\n\r\n')]);
    assertClean4xx(await raw(req1), [401]);
    const req2 = Buffer.concat([Buffer.from(`GET /api/v1/rooms HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: OvMeetAccessToken=`), Buffer.from([0xff, 0xc0]), Buffer.from('\r\n\r\n')]);
    assertClean4xx(await raw(req2), [401]);
    await stillServing();
  });
});

// --------------------------------------------------------------------------- nesting and numbers
describe('deeply nested JSON (10 000 levels)', () => {
  const deepObject = `${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}`;
  const deepArray = `${'['.repeat(10000)}${']'.repeat(10000)}`;
  const targets = [
    ['POST', '/api/v1/rooms', (inner) => `{"roomName":${inner}}`],
    ['PUT', () => `/api/v1/rooms/${room.roomId}/config`, (inner) => `{"config":${inner}}`],
    ['POST', '/internal-api/v1/participants/token', (inner) => `{"roomId":"${room.roomId}","secret":${inner}}`],
    ['POST', '/internal-api/v1/auth/login', (inner) => `{"username":${inner},"password":"x"}`],
  ];
  for (const [method, path, wrap] of targets) {
    const p = typeof path === 'function' ? path : () => path;
    it(`${method} ${typeof path === 'function' ? '/api/v1/rooms/{id}/config' : path}: nested objects and arrays inside a field → 400`, async () => {
      for (const inner of [deepObject, deepArray]) {
        const res = await rawJson(method, p(), wrap(inner));
        assertClean4xx(res, [400]);
      }
      await stillServing();
    });
  }

  it('nesting just under the parser limit (60 levels) in config → a clean 4xx', async () => {
    const res = await rawJson('PUT', `/api/v1/rooms/${room.roomId}/config`, `{"config":{"chat":${'{"a":'.repeat(60)}1${'}'.repeat(60)}}}`);
    assertClean4xx(res);
    await stillServing();
  });
});

describe('huge and odd numbers in numeric fields', () => {
  const numbers = ['1e400', '-1e400', '1e-400', '18446744073709551616', '18446744073709551615', '9223372036854775808',
    '-9223372036854775809', '123456789012345678901234567890', '-0', '-0.0', '1E+2', '1.0e2', '1e2147483648', '0.5', '1.5e300'];

  it('maxParticipants: never a 5xx; accepted values read back as the same number', async () => {
    for (const n of numbers) {
      const res = await rawJson('PUT', `/api/v1/rooms/${room.roomId}/config`, `{"config":{"maxParticipants":${n}}}`);
      assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), `${n}: ${describeRaw(res)}`);
      assertValidUtf8Json(res);
      if (res.status === 200) {
        const cfg = await stack.api.get(`/api/v1/rooms/${room.roomId}/config`);
        assert.equal(cfg.status, 200);
        assert.equal(cfg.body.maxParticipants, JSON.parse(n), `${n} reads back`);
      }
    }
    await stillServing();
  });

  it('autoDeletionDate: never a 5xx; an accepted date reads back as the same finite number', async () => {
    for (const n of [...numbers, '8640000000000001', '253402300800000']) {
      const res = await rawJson('POST', '/api/v1/rooms', `{"roomName":"num","autoDeletionDate":${n}}`);
      assert.ok(res.status === 201 || (res.status >= 400 && res.status < 500), `${n}: ${describeRaw(res)}`);
      assertValidUtf8Json(res);
      if (res.status === 201) {
        assert.equal(res.json.autoDeletionDate, JSON.parse(n), `${n}`);
        assert.ok(Number.isFinite(res.json.autoDeletionDate));
        assert.equal((await stack.api.del(`/api/v1/rooms/${res.json.roomId}`)).status, 200);
      }
    }
    await stillServing();
  });

  it('numbers where strings are expected and in query parameters → a clean answer', async () => {
    const res = await rawJson('POST', '/api/v1/rooms', '{"roomName":1e400}');
    assertClean4xx(res, [422, 400]);
    for (const q of ['maxItems=1e400', 'maxItems=-0', 'maxItems=18446744073709551616', 'maxItems=0x10', 'maxItems=NaN', 'maxItems=Infinity', 'maxItems=%2B5']) {
      const list = await raw(head('GET', `/api/v1/rooms?${q}`, { Connection: 'close' }));
      assert.ok(list.status === 200 || (list.status >= 400 && list.status < 500), `${q}: ${describeRaw(list)}`);
      assertValidUtf8Json(list);
    }
    await stillServing();
  });
});

// --------------------------------------------------------------------------- duplicate keys
describe('duplicate keys and repeated fields', () => {
  it('duplicate "secret" in a token request: the last one wins, as JSON.parse does', async () => {
    const wrongLast = await rawJson('POST', '/internal-api/v1/participants/token',
      `{"roomId":"${room.roomId}","secret":"${room.secrets.moderator}","secret":"wrong"}`);
    assertClean4xx(wrongLast, [400]);
    const rightLast = await rawJson('POST', '/internal-api/v1/participants/token',
      `{"roomId":"${room.roomId}","secret":"wrong","secret":"${room.secrets.speaker}"}`);
    assert.equal(rightLast.status, 200, describeRaw(rightLast));
    await stillServing();
  });

  it('duplicate "config" and nested duplicate keys in a config update: the last one wins', async () => {
    const res = await rawJson('PUT', `/api/v1/rooms/${room.roomId}/config`,
      '{"config":{"maxParticipants":1},"config":{"recording":{"enabled":false},"virtualBackground":{"enabled":true},' +
      '"chat":{"enabled":true,"enabled":false},"maxParticipants":3,"maxParticipants":4}}');
    assert.equal(res.status, 200, describeRaw(res));
    const cfg = await stack.api.get(`/api/v1/rooms/${room.roomId}/config`);
    assert.equal(cfg.body.chat.enabled, false);
    assert.equal(cfg.body.maxParticipants, 4);
    await stillServing();
  });

  it('10 000 duplicate keys in one body → a clean answer', async () => {
    const res = await rawJson('POST', '/api/v1/rooms', `{${Array.from({ length: 10000 }, (_, i) => `"roomName":"d${i}"`).join(',')}}`);
    assert.ok(res.status === 201 || (res.status >= 400 && res.status < 500), describeRaw(res));
    if (res.status === 201) assert.equal(res.json.roomName, 'd9999');
    await stillServing();
  });

  it('a repeated x-api-key header (valid and invalid) → 200 or 401, never a 5xx', async () => {
    for (const pair of [[API_KEY, 'wrong'], ['wrong', API_KEY]]) {
      const req = `GET /api/v1/rooms HTTP/1.1\r\nHost: x\r\nConnection: close\r\nx-api-key: ${pair[0]}\r\nx-api-key: ${pair[1]}\r\n\r\n`;
      const res = await raw(req);
      assert.ok(res.status === 200 || res.status === 401, describeRaw(res));
    }
    await stillServing();
  });

  it('repeated query parameters → a clean answer', async () => {
    const res = await raw(head('GET', '/api/v1/rooms?maxItems=1&maxItems=1000&maxItems=x', { Connection: 'close' }));
    assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), describeRaw(res));
    await stillServing();
  });
});

// --------------------------------------------------------------------------- path traversal
describe('path traversal and odd bytes in ids', () => {
  const ids = ['..%2F..%2F..%2Fetc%2Fpasswd', '..%2f..%2fconvene.db', '%2e%2e%2f%2e%2e%2f', '..', '.',
    '%00', 'abc%00def', `${'x'}%00..%2F`, '%2F', '%5C..%5C..%5Cwindows', 'con', '%252e%252e%252f', '*', '%25'];
  for (const id of ids) {
    it(`room id "${id}" → 4xx, no file content, the room list intact`, async () => {
      for (const [method, suffix] of [['GET', ''], ['DELETE', ''], ['GET', '/config'], ['PUT', '/status'], ['DELETE', '/meeting']]) {
        const path = suffix === '/meeting' ? `/api/v1/meetings/${id}` : `/api/v1/rooms/${id}${suffix}`;
        const extra = method === 'PUT' ? { 'Content-Type': 'application/json', 'Content-Length': 19 } : {};
        const res = await raw([head(method, path, { Connection: 'close', ...extra }) + (method === 'PUT' ? '{"status":"closed"}' : '')]);
        assertClean4xx(res);
        assertValidUtf8Json(res);
        assert.doesNotMatch(res.raw, /root:|SQLite format|\x00/, `${method} ${path} leaks nothing`);
      }
      await stillServing();
    });
  }

  it('raw "../" segments in the request target do not reach another route', async () => {
    for (const target of ['/api/v1/rooms/../../../health', '/api/v1/rooms/%2e%2e/%2e%2e/health', '/../../etc/passwd', '//api/v1/rooms', '/api/v1/rooms/x/../../internal-api/v1/config/webhooks']) {
      const res = await raw(head('GET', target, { Connection: 'close' }, { auth: false }));
      assertClean4xx(res);
      assert.doesNotMatch(res.raw, /root:|"enabled"/, target);
    }
    await stillServing();
  });

  it('an absolute-form and an asterisk-form request target → a clean answer', async () => {
    for (const target of [`http://127.0.0.1:${port}/health`, '*', 'api/v1/rooms', `http://evil.example/api/v1/rooms`]) {
      const res = await raw(head('GET', target, { Connection: 'close' }));
      assert.ok(res.status === 0 ? res.closed : res.status < 500, `${target}: ${describeRaw(res)}`);
    }
    await stillServing();
  });
});

// --------------------------------------------------------------------------- header injection
describe('CR/LF header injection attempts', () => {
  const injections = ['a\r\nSet-Cookie: injected=1', 'a\nX-Injected: 1', 'a\rX-Injected: 1', 'a%0d%0aX-Injected:%201', 'a\u2028b\u0085c'];

  function assertNoInjectedHeader(res) {
    // Injected text may appear inside a value (a sanitised id in Location); never as a header line.
    const lines = res.raw.slice(0, res.raw.indexOf('\r\n\r\n')).split('\r\n').slice(1);
    for (const line of lines) assert.doesNotMatch(line, /^(set-cookie: *injected|x-injected)/i, lines.join('\n'));
    assert.doesNotMatch(res.raw.slice(0, res.raw.indexOf('\r\n\r\n')), /[^\r]\n|\r[^\n]/, 'bare CR or LF in the head');
  }

  it('room names: the room is created with a sanitised name; no injected response header', async () => {
    for (const name of injections) {
      const res = await rawJson('POST', '/api/v1/rooms', JSON.stringify({ roomName: name }));
      assert.ok(res.status === 201 || res.status === 422, describeRaw(res));
      assertNoInjectedHeader(res);
      assertValidUtf8Json(res);
      if (res.status === 201) {
        assert.doesNotMatch(res.headers.location ?? '', /[\r\n]/);
        assert.doesNotMatch(res.json.roomId, /[\r\n\s]/);
        new URL(res.json.moderatorUrl); // parses
      }
    }
    await stillServing();
  });

  it('participant names: 200 or 422; the token and any cookie carry no raw CR/LF', async () => {
    for (const mode of ['header', 'cookie']) {
      await admin.setSecurity({ transport: mode });
      for (const name of injections) {
        const res = await rawJson('POST', '/internal-api/v1/participants/token',
          JSON.stringify({ roomId: room.roomId, secret: room.secrets.speaker, participantName: name }));
        assert.ok(res.status === 200 || res.status === 422 || res.status === 409, describeRaw(res));
        assertNoInjectedHeader(res);
      }
    }
    await admin.setSecurity({ transport: 'header' });
    await stillServing();
  });

  it('outgoing webhook URL with CR/LF → sent where a WHATWG parser sends it (newlines dropped) or refused; never an injected header', async () => {
    const rx = await startWebhookReceiver();
    try {
      const cases = [
        [`${rx.url}\r\nX-Injected: 1`, `${new URL(rx.url).pathname}X-Injected:%201`],
        [`${rx.url} HTTP/1.1\r\nX-Injected: 1\r\n\r\n`, `${new URL(rx.url).pathname}%20HTTP/1.1X-Injected:%201`],
        [`${rx.url}\nX-Injected: 1`, `${new URL(rx.url).pathname}X-Injected:%201`],
        [`http://127.0.0.1:${rx.port}\r\n.evil/hook`, null], // the port becomes "<port>.evil": invalid
      ];
      for (const [bad, path] of cases) {
        // The configuration validates like the reference's zod .url() (WHATWG: tabs and newlines
        // are dropped before parsing), and the HTTP client parses the same way, so the request
        // goes where the reference's would, and no control character reaches a request line.
        const put = await admin.call('PUT', '/internal-api/v1/config/webhooks', { json: { enabled: true, url: bad } });
        assert.ok([200, 422].includes(put.status), `PUT ${JSON.stringify(bad)}: HTTP ${put.status} ${put.text}`);
        const before = rx.received.length;
        const test = await admin.call('POST', '/internal-api/v1/config/webhooks/test', { json: { url: bad } });
        assertNot5xx(test);
        if (path === null) {
          assert.ok(test.status >= 400 && test.status < 500, `test ${JSON.stringify(bad)}: HTTP ${test.status} ${test.text}`);
        } else {
          assertStatus(test, 200, `test ${JSON.stringify(bad)}`);
          assert.equal(rx.received.length, before + 1, `test ${JSON.stringify(bad)}: one request received`);
          assert.equal(rx.received.at(-1).url, path);
        }
      }
      assert.equal((await admin.call('PUT', '/internal-api/v1/config/webhooks', { json: { enabled: false } })).status, 200);
      // Percent-encoded CR/LF stays encoded in the request target: harmless, may be delivered.
      const encoded = await admin.call('POST', '/internal-api/v1/config/webhooks/test', { json: { url: `${rx.url}%0d%0aX-Injected:%201` } });
      assertNot5xx(encoded);
      for (const r of rx.received) {
        assert.equal(Object.keys(r.headers).some((h) => /injected/i.test(h)), false, JSON.stringify(r.headers));
      }
    } finally {
      await rx.close();
    }
    await stillServing();
  });

  it('Host with odd characters → room links fall back to a safe base URL', async () => {
    for (const host of ['evil.example/"><script>', 'a b', 'user@evil.example', 'evil.example\tx', '']) {
      const body = '{"roomName":"hosty"}';
      const req = `POST /api/v1/rooms HTTP/1.1\r\nHost: ${host}\r\nx-api-key: ${API_KEY}\r\nConnection: close\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      const res = await raw(req);
      if (res.status === 201) {
        const link = new URL(res.json.moderatorUrl);
        assert.match(link.host, /^[A-Za-z0-9.\-:[\]_]+$/, `host ${JSON.stringify(host)} → ${res.json.moderatorUrl}`);
        assert.doesNotMatch(res.headers.location, /[<>"@\s]/);
        assert.equal((await stack.api.del(`/api/v1/rooms/${res.json.roomId}`)).status, 200);
      } else {
        assertClean4xxOrClosed(res, [400]);
      }
    }
    await stillServing();
  });
});

describe('X-Forwarded-* with SERVER_TRUST_PROXY=true', () => {
  let proxied;
  before(async () => {
    proxied = await startStack({ webhooks: false, conveneEnv: { SERVER_TRUST_PROXY: 'true', MEET_LOGIN_RATE_LIMIT: '2/5m' } });
  });
  after(async () => {
    await proxied?.close();
  });

  it('unsafe X-Forwarded-Host / -Proto values never reach room links or Location', async () => {
    const cases = [
      { 'x-forwarded-host': 'evil.example/"><x' },
      { 'x-forwarded-host': 'evil.example\tb' },
      { 'x-forwarded-host': 'a@evil.example' },
      { 'x-forwarded-host': 'evil.example%0d%0aX-Injected:1' },
      { 'x-forwarded-host': `${'h'.repeat(300)}.example` },
      { 'x-forwarded-proto': 'javascript' },
      { 'x-forwarded-proto': 'https\u0000' },
      { 'x-forwarded-host': 'good.example, evil.example', 'x-forwarded-proto': 'https, http' },
    ];
    for (const headers of cases) {
      const res = await request(proxied.convene.url, 'POST', '/api/v1/rooms', { json: { roomName: 'fwd' }, headers: { 'x-api-key': API_KEY, ...headers } })
        .catch((err) => ({ status: 0, error: err }));
      if (res.status === 0) continue; // fetch refused to send the header value itself
      assert.equal(res.status, 201, res.text);
      const link = new URL(res.body.moderatorUrl);
      assert.ok(['http:', 'https:'].includes(link.protocol), res.body.moderatorUrl);
      assert.match(link.host, /^[A-Za-z0-9.\-:[\]_]+$/, `${JSON.stringify(headers)} → ${res.body.moderatorUrl}`);
      assert.doesNotMatch(res.headers.get('location') ?? '', /[<>"@\s%]/);
    }
    assert.equal((await request(proxied.convene.url, 'GET', '/health')).status, 200);
  });

  it('an X-Forwarded-For with odd content still answers cleanly (it only keys the login rate limit)', async () => {
    for (const xff of ['', ' ', 'not-an-ip', `${'9'.repeat(200)}`, '1.2.3.4, 5.6.7.8', '::ffff:1.2.3.4', '\u00ff']) {
      const res = await request(proxied.convene.url, 'POST', '/internal-api/v1/auth/login', {
        json: { username: 'admin', password: 'wrong' }, headers: { 'x-forwarded-for': xff },
      }).catch((err) => ({ status: 0, error: err }));
      if (res.status === 0) continue;
      assert.ok(res.status === 401 || res.status === 404 || res.status === 429, `${JSON.stringify(xff)}: HTTP ${res.status} ${res.text}`);
    }
    assert.equal((await request(proxied.convene.url, 'GET', '/health')).status, 200);
  });
});

// --------------------------------------------------------------------------- content types
describe('non-JSON content types', () => {
  it('text/plain, multipart and XML bodies are not parsed as JSON: a room with defaults or a 4xx', async () => {
    for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx', 'application/json-patch+json', '']) {
      const body = '{"roomName":"typed"}';
      const res = await raw(head('POST', '/api/v1/rooms', { 'Content-Type': type, 'Content-Length': body.length, Connection: 'close' }) + body);
      assert.ok(res.status === 201 || (res.status >= 400 && res.status < 500), `${type}: ${describeRaw(res)}`);
      if (res.status === 201) {
        assert.notEqual(res.json.roomName, 'typed', `${type} parsed as JSON`);
        assert.equal((await stack.api.del(`/api/v1/rooms/${res.json.roomId}`)).status, 200);
      }
    }
    await stillServing();
  });

  it('a token request in text/plain → 422 (no fields), not a token', async () => {
    const body = JSON.stringify({ roomId: room.roomId, secret: room.secrets.speaker });
    const res = await raw(head('POST', '/internal-api/v1/participants/token', { 'Content-Type': 'text/plain', 'Content-Length': body.length, Connection: 'close' }) + body);
    assertClean4xx(res, [422]);
    await stillServing();
  });

  it('JSON declared with odd parameters or encodings → parsed or a clean 400', async () => {
    const utf16 = Buffer.from('\ufeff{"roomName":"u16"}', 'utf16le');
    assertClean4xx(await rawJson('POST', '/api/v1/rooms', utf16), [400]);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"roomName":"bom"}')]);
    const bomRes = await rawJson('POST', '/api/v1/rooms', bom);
    assert.ok(bomRes.status === 201 || bomRes.status === 400, describeRaw(bomRes));
    for (const type of ['application/json; charset=utf-16', 'APPLICATION/JSON;;;', 'application/json; charset="', 'application/json\t; x=y']) {
      const res = await rawJson('POST', '/api/v1/rooms', '{"roomName":"params"}', { 'Content-Type': type });
      assert.ok(res.status === 201 || (res.status >= 400 && res.status < 500), `${type}: ${describeRaw(res)}`);
    }
    await stillServing();
  });

  it('form bodies with bad percent escapes or 10 000 fields → a clean answer', async () => {
    for (const body of ['roomName=%zz', 'roomName=%', `${Array.from({ length: 10000 }, (_, i) => `k${i}=v`).join('&')}`, '%FF=%FE', '&&&==&=']) {
      const res = await raw(head('POST', '/api/v1/rooms', { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body), Connection: 'close' }) + body);
      assert.ok(res.status === 201 || (res.status >= 400 && res.status < 500), `${body.slice(0, 40)}: ${describeRaw(res)}`);
      assertValidUtf8Json(res);
    }
    await stillServing();
  });
});

// --------------------------------------------------------------------------- chunked bodies
describe('chunked bodies with bad sizes', () => {
  const chunkedHead = () => head('POST', '/api/v1/rooms', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  const cases = {
    'a non-hex size': 'zz\r\n{}\r\n0\r\n\r\n',
    'a negative size': '-2\r\n{}\r\n0\r\n\r\n',
    'a size overflowing 64 bits': 'ffffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n',
    'a size larger than the data, then the next chunk': '40\r\n{}\r\n0\r\n\r\n',
    'a size smaller than the data': '1\r\n{}\r\n0\r\n\r\n',
    'a 20 KiB chunk extension': `2;${'e'.repeat(20 * 1024)}\r\n{}\r\n0\r\n\r\n`,
    'a size with spaces and a plus': '+2 \r\n{}\r\n0\r\n\r\n',
    'a bare LF line ending': '2\n{}\n0\n\n',
    'a 20 KiB trailer': `2\r\n{}\r\n0\r\nx-trailer: ${'t'.repeat(20 * 1024)}\r\n\r\n`,
  };
  for (const [name, body] of Object.entries(cases)) {
    it(`${name} → 4xx (400/413/431) or close`, async () => {
      // The client half-closes after sending: a server still waiting for chunk bytes must then
      // close too (a body that stays incomplete is cut off at the read deadline, tested below).
      const res = await raw([chunkedHead(), body], { gapMs: 10, endAfter: true });
      if (res.status !== 201) assertClean4xxOrClosed(res);
      await stillServing();
    });
  }

  it('Transfer-Encoding other than one "chunked" → 400 and close; the body is never parsed as a request (RFC 9112 §6.1)', async () => {
    // Regression: these were answered 201 (a room created from an empty body) and the body bytes
    // were then parsed as a second request on the same connection: a desync a front proxy that
    // frames the body differently could use to smuggle requests.
    const smuggled = `GET /api/v1/rooms HTTP/1.1\r\nHost: x\r\nx-api-key: ${API_KEY}\r\n\r\n`;
    for (const te of ['gzip', 'chunked, gzip', 'identity', 'chunked, chunked', 'xchunked', 'chunked\r\nTransfer-Encoding: chunked']) {
      const before = (await stack.api.get('/api/v1/rooms?maxItems=100')).body.rooms.length;
      const req = `${head('POST', '/api/v1/rooms', { 'Content-Type': 'application/json', 'Transfer-Encoding': te })}` +
        `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;
      const res = await raw([req], { timeoutMs: 4000, endAfter: true });
      assert.equal(res.status, 400, `${JSON.stringify(te)}: ${describeRaw(res)}`);
      assert.deepEqual(statuses(res.raw), [400], `${JSON.stringify(te)}: one answer only`);
      assert.ok(res.closed);
      assert.equal((await stack.api.get('/api/v1/rooms?maxItems=100')).body.rooms.length, before, 'no room created');
    }
    // Control: exactly "chunked" (any case, surrounding spaces) is the one accepted framing.
    const ok = await raw([`${head('POST', '/api/v1/rooms', { 'Content-Type': 'application/json', 'Transfer-Encoding': ' Chunked ', Connection: 'close' })}2\r\n{}\r\n0\r\n\r\n`]);
    assert.equal(ok.status, 201, describeRaw(ok));
    // HTTP/1.0 has no chunked coding.
    const old = await raw([`POST /api/v1/rooms HTTP/1.0\r\nHost: x\r\nx-api-key: ${API_KEY}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`], { endAfter: true });
    assertClean4xxOrClosed(old, [400]);
    await stillServing();
  });

  it('a chunked body that never ends → closed at the read deadline at the latest, without an answer', { timeout: 30000 }, async () => {
    const res = await raw([chunkedHead(), '2\r\n{}\r\n'], { timeoutMs: 25000, endAfter: false });
    assert.ok(res.closed, `still open after ${res.ms} ms`);
    assert.ok(res.status === 0 || (res.status >= 400 && res.status < 500), describeRaw(res));
    await stillServing();
  });
});

// --------------------------------------------------------------------------- pipelined garbage
describe('pipelined garbage', () => {
  it('a valid request then binary garbage → 200, then 400 and close', async () => {
    const garbage = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256));
    const res = await raw([Buffer.concat([Buffer.from('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'), garbage])]);
    const codes = statuses(res.raw);
    assert.equal(codes[0], 200, res.raw.slice(0, 300));
    assert.ok(codes.length === 1 || (codes.length === 2 && codes[1] === 400), `responses ${codes}`);
    assert.ok(res.closed);
    await stillServing();
  });

  it('100 pipelined requests in one write → 100 answers in order', async () => {
    let text = '';
    for (let i = 0; i < 99; i++) text += `GET /health HTTP/1.1\r\nHost: x\r\nx-request-id: p${i}\r\n\r\n`;
    text += 'GET /health HTTP/1.1\r\nHost: x\r\nx-request-id: p99\r\nConnection: close\r\n\r\n';
    const res = await raw(text, { timeoutMs: 10000 });
    assert.equal(statuses(res.raw).length, 100);
    const ids = [...res.raw.matchAll(/x-request-id: (p\d+)/gi)].map((m) => m[1]);
    assert.deepEqual(ids, Array.from({ length: 100 }, (_, i) => `p${i}`));
    await stillServing();
  });

  it('a POST whose body is shorter than its Content-Length, followed by a second request, is not split into two', async () => {
    const smuggled = 'GET /api/v1/rooms HTTP/1.1\r\nHost: x\r\n\r\n';
    const res = await raw([`${head('POST', '/api/v1/rooms', { 'Content-Type': 'application/json', 'Content-Length': 2 + smuggled.length })}{}${smuggled}`], { timeoutMs: 3000 });
    // The "smuggled" request is body bytes: the POST fails as malformed JSON; nothing else runs.
    assert.equal(statuses(res.raw).length, 1, res.raw.slice(0, 500));
    assert.equal(res.status, 400, describeRaw(res));
    await stillServing();
  });

  it('protocol confusion: an HTTP/2 preface, a TLS ClientHello, HTTP/0.9 and HTTP/3.0 → 4xx or close', async () => {
    const tlsHello = Buffer.from('16030100a5010000a10303' + '00'.repeat(32) + '0000', 'hex');
    for (const payload of ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', tlsHello, 'GET /health\r\n', 'GET /health HTTP/3.0\r\nHost: x\r\n\r\n', '\r\n\r\n\r\n', Buffer.alloc(4096)]) {
      const res = await raw([payload], { timeoutMs: 4000, endAfter: true });
      if (res.status !== 200) assertClean4xxOrClosed(res);
    }
    await stillServing();
  });

  it('unknown and lower-case methods → 4xx', async () => {
    for (const method of ['FOO', 'get', 'CONNECT', 'TRACE', 'PROPFIND', 'G\u00e9T']) {
      const res = await raw([Buffer.from(`${method} /api/v1/rooms HTTP/1.1\r\nHost: x\r\nx-api-key: ${API_KEY}\r\nConnection: close\r\n\r\n`, 'latin1')]);
      assertClean4xxOrClosed(res);
    }
    await stillServing();
  });

  it('a burst of 200 connections that send garbage and close at once → the server keeps serving', { timeout: 30000 }, async () => {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      raw([Buffer.from(`\u0000${i}\r\n\r\nGARBAGE ${'%'.repeat(i)}\r\n\r\n`)], { timeoutMs: 8000, endAfter: true })));
    for (const r of results) if (r.status !== 0) assertClean4xx(r);
    await stillServing();
  });
});

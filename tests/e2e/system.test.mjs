// Non-API endpoints: /health, /ready, /metrics, /api/v1/docs (+ openapi.yaml).
// Spec: reference-api.md §2.1; convene-deviations.md §9.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, request, startConvene } from './support/convene.mjs';
import { assertStatus, createRoom, waitFor } from './support/rooms.mjs';

let server;
let api;

before(async () => {
  server = await startConvene();
  api = apiClient(server);
});

after(async () => {
  await server?.close();
});

describe('/health and /ready', () => {
  it('GET /health → 200 text OK, no auth', async () => {
    const res = await request(server.url, 'GET', '/health');
    assertStatus(res, 200);
    assert.equal(res.text, 'OK');
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  });

  it('/health answers every method (reference: `* /health`)', async () => {
    for (const m of ['POST', 'PUT', 'DELETE']) {
      const res = await request(server.url, m, '/health');
      assertStatus(res, 200);
      assert.equal(res.text, 'OK');
    }
  });

  it('GET /ready → 200 JSON', async () => {
    const res = await request(server.url, 'GET', '/ready');
    assertStatus(res, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(typeof res.body, 'object');
    assert.notEqual(res.body, null);
  });
});

describe('/metrics', () => {
  it('counts requests by route pattern, never by concrete id', async () => {
    const room = await createRoom(api, { roomName: 'metered' });
    assertStatus(await api.get(`/api/v1/rooms/${room.roomId}`), 200);
    assertStatus(await api.get('/api/v1/rooms/metrics-missing-room'), 404);
    assertStatus(await api.get(`/api/v1/rooms/${room.roomId}/config`), 200);
    assertStatus(await request(server.url, 'GET', `/internal-api/v1/rooms/${room.roomId}/roles`), 200);
    // A sample may be recorded just after its response is sent: poll briefly (bounded).
    const routes = ['/api/v1/rooms/{roomId}', '/api/v1/rooms', '/api/v1/rooms/{roomId}/config',
      '/internal-api/v1/rooms/{roomId}/roles'];
    let res;
    await waitFor(async () => {
      res = await request(server.url, 'GET', '/metrics');
      const samples = res.text.split('\n').filter((l) => l.startsWith('convene_http_requests_total{'));
      return routes.every((r) => samples.some((l) => l.includes(`route="${r}"`)));
    }, { timeoutMs: 3000, intervalMs: 100 });
    assertStatus(res, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = res.text;
    assert.match(text, /^# (HELP|TYPE) convene_http_requests_total/m);
    const lines = text.split('\n').filter((l) => l.startsWith('convene_http_requests_total{'));
    assert.ok(lines.length > 0, 'has convene_http_requests_total samples');
    for (const route of routes) {
      const hit = lines.find((l) => l.includes(`route="${route}"`));
      assert.ok(hit, `a sample for route="${route}" in:\n${lines.join('\n')}`);
      assert.match(hit, /\}\s+[0-9.e+]+$/, 'sample has a numeric value');
    }
    const roomSample = lines.filter((l) => l.includes('route="/api/v1/rooms/{roomId}"'));
    const total = roomSample.reduce((n, l) => n + Number(l.split(/\s+/).at(-1)), 0);
    assert.ok(total >= 2, `at least the two GETs counted for /api/v1/rooms/{roomId} (got ${total})`);
    assert.ok(!text.includes(room.roomId), 'no concrete room id in the metrics');
    assert.ok(!text.includes('metrics-missing-room'), 'no concrete path in the metrics');
  });

  it('counters grow', async () => {
    const read = async () => {
      const t = (await request(server.url, 'GET', '/metrics')).text;
      return t.split('\n')
        .filter((l) => l.startsWith('convene_http_requests_total{') && l.includes('route="/api/v1/rooms"'))
        .reduce((n, l) => n + Number(l.split(/\s+/).at(-1)), 0);
    };
    const before = await read();
    for (let i = 0; i < 3; i++) assertStatus(await api.get('/api/v1/rooms'), 200);
    let after = 0;
    await waitFor(async () => (after = await read()) >= before + 3, { timeoutMs: 3000, intervalMs: 100 });
    assert.ok(after >= before + 3, `${before} → ${after}`);
  });

  it('unmatched paths do not create a label per path', async () => {
    for (let i = 0; i < 3; i++) await request(server.url, 'GET', `/api/v1/random-${i}-xyz`);
    const text = (await request(server.url, 'GET', '/metrics')).text;
    assert.ok(!text.includes('random-0-xyz'));
  });
});

describe('/api/v1/docs', () => {
  it('serves HTML', async () => {
    const res = await request(server.url, 'GET', '/api/v1/docs');
    assertStatus(res, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.text, /<html/i);
  });

  it('openapi.yaml lists every room route with its methods', async () => {
    const res = await request(server.url, 'GET', '/api/v1/docs/openapi.yaml');
    assertStatus(res, 200);
    assert.match(res.text, /^openapi:\s*['"]?3\./m);
    const paths = parseOpenApiPaths(res.text);
    const expected = {
      '/api/v1/rooms': ['delete', 'get', 'post'],
      '/api/v1/rooms/{roomId}': ['delete', 'get'],
      '/api/v1/rooms/{roomId}/config': ['get', 'put'],
      '/api/v1/rooms/{roomId}/status': ['put'],
      '/internal-api/v1/rooms/{roomId}/roles': ['get'],
      '/internal-api/v1/rooms/{roomId}/roles/{secret}': ['get'],
      '/internal-api/v1/rooms/{roomId}/recording-token': ['post'],
      '/api/v1/recordings': ['get'],
    };
    for (const [p, methods] of Object.entries(expected)) {
      assert.ok(paths[p], `paths has ${p}; found ${Object.keys(paths).join(', ')}`);
      for (const m of methods) assert.ok(paths[p].includes(m), `${p} documents ${m}; found ${paths[p]}`);
    }
  });
});

/**
 * Minimal reader for the `paths:` section of an OpenAPI YAML document: returns
 * { '/path': ['get', 'post', …] }. Handles quoted keys and any consistent indentation.
 */
function parseOpenApiPaths(text) {
  const out = {};
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^paths:\s*$/.test(l));
  if (start < 0) return out;
  let pathIndent = -1;
  let current = null;
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break; // next top-level key
    if (/^\s*(#.*)?$/.test(line)) continue;
    const indent = line.length - line.trimStart().length;
    const key = /^\s*['"]?([^'":]+)['"]?\s*:/.exec(line)?.[1];
    if (!key) continue;
    if (pathIndent < 0 && key.startsWith('/')) pathIndent = indent;
    if (indent === pathIndent && key.startsWith('/')) {
      current = key;
      out[current] = [];
    } else if (current && indent > pathIndent && /^(get|put|post|delete|patch|head|options)$/.test(key)) {
      const methodIndent = out[`${current}\u0000indent`] ?? indent;
      out[`${current}\u0000indent`] = methodIndent;
      if (indent === methodIndent) out[current].push(key);
    }
  }
  for (const k of Object.keys(out)) if (k.includes('\u0000')) delete out[k];
  return out;
}

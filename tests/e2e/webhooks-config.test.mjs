// Outgoing webhooks and the deployment configuration: nothing is sent while webhooks are disabled
// or no API key exists; enabling, re-pointing and disabling at runtime; the API key that signs;
// room links without MEET_BASE_URL; and the test URL (POST /internal-api/v1/config/webhooks/test).
// Spec: reference-api.md §4.5, §4.6, §16; convene-deviations.md §7.1, §7.4, §8.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { apiClient } from './support/convene.mjs';
import { API_KEY, assertError, assertStatus, assertValidationIncludes, request, sleep, startStack } from './support/livekit.mjs';
import { startWebhookReceiver, verifyWebhook } from './support/webhook-receiver.mjs';

const QUIET_MS = 1500;

let s;
let rx; // the URL configured at start-up
let rx2; // another receiver, for re-pointing
let port; // Convene's fixed SERVER_PORT (room links default to http://localhost:<SERVER_PORT>)
let admin; // admin access token
let apiKey = API_KEY; // the current API key
let api; // API client with the current key

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
}

const asAdmin = (method, path, opts = {}) =>
  request(s.convene.url, method, path, { ...opts, headers: { authorization: `Bearer ${admin}`, ...(opts.headers ?? {}) } });

async function login() {
  const res = await request(s.convene.url, 'POST', '/internal-api/v1/auth/login', { json: { username: 'admin', password: 'admin' } });
  assertStatus(res, 200, 'admin login');
  assert.equal(typeof res.body.accessToken, 'string');
  return res.body.accessToken;
}

async function createRoom(roomName) {
  const res = await api.post('/api/v1/rooms', { json: { roomName } });
  assertStatus(res, 201, 'create room');
  const room = res.body;
  room.secrets = { moderator: new URL(room.moderatorUrl).searchParams.get('secret') };
  return room;
}

/** A room with a joined moderator: {room, mod}. */
async function meeting(roomName) {
  const room = await createRoom(roomName);
  const mod = await s.participant(room, 'MOD', 'moderator');
  await s.join(mod.token);
  return { room, mod };
}

/** join, a second join, end meeting, a new meeting ended by LiveKit: every event kind twice. */
async function fullLifeCycle(roomName) {
  const { room, mod } = await meeting(roomName);
  const spk = await s.participant(room, 'SPK', 'speaker');
  await s.join(spk.token);
  assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
  const again = await s.participant(room, 'MOD2', 'moderator');
  await s.join(again.token);
  await s.roomService().deleteRoom(room.roomId);
  await s.settle();
  return room;
}

before(async () => {
  rx = await startWebhookReceiver({ apiKey: API_KEY });
  rx2 = await startWebhookReceiver({ apiKey: API_KEY, path: '/other/hook' });
  port = await freePort();
  s = await startStack({
    conveneEnv: {
      SERVER_PORT: String(port),
      MEET_INITIAL_WEBHOOK_ENABLED: 'false',
      MEET_INITIAL_WEBHOOK_URL: rx.url,
      MEET_LOGIN_RATE_LIMIT: 'off',
    },
  });
  api = apiClient(s.convene, { apiKey });
  admin = await login();
});

after(async () => {
  await s?.close();
  await rx?.close();
  await rx2?.close();
});

describe('webhooks disabled, then enabled at runtime (reference §4.5, §16)', () => {
  const quietRooms = [];

  it('GET /internal-api/v1/config/webhooks needs an admin and shows the start-up configuration', async () => {
    assertStatus(await request(s.convene.url, 'GET', '/internal-api/v1/config/webhooks'), 401);
    assertStatus(await api.get('/internal-api/v1/config/webhooks'), 401, 'an API key is not an admin');
    const res = await asAdmin('GET', '/internal-api/v1/config/webhooks');
    assertStatus(res, 200);
    assert.deepEqual(res.body, { enabled: false, url: rx.url });
  });

  it('disabled (with a URL configured): a whole meeting life cycle sends nothing', async () => {
    quietRooms.push(await fullLifeCycle('quiet'));
    await sleep(QUIET_MS);
    assert.deepEqual(rx.deliveries, []);
  });

  it('PUT {enabled:true} without a url is refused (422): the url is required when enabled', async () => {
    assertValidationIncludes(await asAdmin('PUT', '/internal-api/v1/config/webhooks', { json: { enabled: true } }), {
      field: 'url',
      message: 'URL is required when webhooks are enabled',
    });
    assertStatus(await api.put('/internal-api/v1/config/webhooks', { json: { enabled: true, url: rx.url } }), 401, 'not with the API key');
  });

  it('enabled at runtime: the next events are sent, none of those from while it was disabled', async () => {
    const put = await asAdmin('PUT', '/internal-api/v1/config/webhooks', { json: { enabled: true, url: rx.url } });
    assertStatus(put, 200);
    assert.deepEqual(put.body, { message: 'Webhooks config updated successfully' });
    assert.deepEqual((await asAdmin('GET', '/internal-api/v1/config/webhooks')).body, { enabled: true, url: rx.url });

    const { room, mod } = await meeting('loud');
    assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
    const events = await rx.waitForAccepted({ roomId: room.roomId }, 2, 5000);
    assert.deepEqual(events.map((d) => d.event), ['meetingStarted', 'meetingEnded']);
    for (const d of events) assert.ok(d.verified, d.verifyError);
    await sleep(QUIET_MS);
    for (const q of quietRooms) assert.deepEqual(rx.select({ roomId: q.roomId }), [], `nothing for ${q.roomId}`);
    assert.deepEqual(rx.deliveries.map((d) => d.roomId), [room.roomId, room.roomId]);
  });

  it('without MEET_BASE_URL the room links in payloads are http://localhost:<SERVER_PORT> (reference §16)', async () => {
    const [d] = rx.select({ event: 'meetingStarted' });
    assert.ok(d);
    const id = d.roomId;
    const secret = new URL(d.json.data.moderatorUrl).searchParams.get('secret');
    assert.equal(d.json.data.moderatorUrl, `http://localhost:${port}/room/${id}?secret=${secret}`);
    assert.match(d.json.data.speakerUrl, new RegExp(`^http://localhost:${port}/room/${id}\\?secret=`));
  });

  it('a new URL applies to events already queued (the target is read for every attempt)', { timeout: 30000 }, async () => {
    await rx.stop();
    let room;
    try {
      ({ room } = await meeting('moved'));
      await sleep(300); // the first attempt is refused
      const put = await asAdmin('PUT', '/internal-api/v1/config/webhooks', { json: { enabled: true, url: rx2.url } });
      assertStatus(put, 200);
      const [d] = await rx2.waitForAccepted({ roomId: room.roomId }, 1, 15000);
      assert.equal(d.event, 'meetingStarted');
      assert.equal(d.path, '/other/hook');
      assert.ok(d.verified, d.verifyError);
    } finally {
      await rx.start();
    }
    const { room: next } = await meeting('moved-next');
    await rx2.waitForAccepted({ roomId: next.roomId }, 1, 5000);
    await sleep(300);
    assert.deepEqual(rx.select({ roomId: room.roomId }), [], 'the old URL got nothing');
    assert.deepEqual(rx.select({ roomId: next.roomId }), []);
  });

  it('PUT {enabled:false} without a url keeps the stored url, and nothing more is sent', async () => {
    assertStatus(await asAdmin('PUT', '/internal-api/v1/config/webhooks', { json: { enabled: false } }), 200);
    assert.deepEqual((await asAdmin('GET', '/internal-api/v1/config/webhooks')).body, { enabled: false, url: rx2.url });
    const before = rx.deliveries.length + rx2.deliveries.length;
    await fullLifeCycle('quiet-again');
    await sleep(QUIET_MS);
    assert.equal(rx.deliveries.length + rx2.deliveries.length, before);
    assertStatus(await asAdmin('PUT', '/internal-api/v1/config/webhooks', { json: { enabled: true, url: rx.url } }), 200);
  });
});

describe('the API key signs (reference §4.6, §9.4, §16)', () => {
  it('after POST /auth/api-keys (which replaces the key) events are signed with the new key', async () => {
    const res = await asAdmin('POST', '/internal-api/v1/auth/api-keys');
    assertStatus(res, 201);
    assert.match(res.body.key, /^ovmeet-[0-9a-f]{32}$/);
    const oldKey = apiKey;
    apiKey = res.body.key;
    api = apiClient(s.convene, { apiKey });
    rx.setApiKey(apiKey);
    const { room } = await meeting('rotated');
    const [d] = await rx.waitForAccepted({ roomId: room.roomId }, 1, 5000);
    assert.ok(d.verified, `verifies with the new key (${d.verifyError})`);
    assert.equal(verifyWebhook({ apiKey: oldKey, timestamp: d.timestamp, signature: d.signature, rawBody: d.rawBody }).verified, false, 'not with the old key');
  });

  it('with no API key, nothing is recorded or sent, and the test URL answers 400', async () => {
    assertStatus(await asAdmin('DELETE', '/internal-api/v1/auth/api-keys'), 200);
    // Rooms can still be managed as the admin.
    const created = await asAdmin('POST', '/api/v1/rooms', { json: { roomName: 'keyless' } });
    assertStatus(created, 201);
    const room = created.body;
    room.secrets = { moderator: new URL(room.moderatorUrl).searchParams.get('secret') };
    const mod = await s.participant(room, 'MOD', 'moderator');
    await s.join(mod.token);
    await sleep(QUIET_MS);
    assert.deepEqual(rx.select({ roomId: room.roomId }), []);
    assertError(
      await asAdmin('POST', '/internal-api/v1/config/webhooks/test', { json: { url: rx.url } }),
      400,
      'Webhook Error',
      'There are no API keys configured yet. Please, create one to use webhooks.',
    );

    // A key again: new events are sent; the keyless period's meetingStarted never is.
    const res = await asAdmin('POST', '/internal-api/v1/auth/api-keys');
    assertStatus(res, 201);
    apiKey = res.body.key;
    api = apiClient(s.convene, { apiKey });
    rx.setApiKey(apiKey);
    assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
    const [d] = await rx.waitForAccepted({ roomId: room.roomId }, 1, 5000);
    assert.equal(d.event, 'meetingEnded');
    assert.ok(d.verified, d.verifyError);
    await sleep(500);
    assert.deepEqual(rx.select({ roomId: room.roomId }).map((x) => x.event), ['meetingEnded']);
  });
});

describe('POST /internal-api/v1/config/webhooks/test (reference §4.5; deviations §7.4)', () => {
  const test = (url, opts = {}) => asAdmin('POST', '/internal-api/v1/config/webhooks/test', { json: { url }, ...opts });

  it('needs an admin access token (the reference needs none); nothing is sent without one', async () => {
    const before = rx.deliveries.length;
    assertStatus(await request(s.convene.url, 'POST', '/internal-api/v1/config/webhooks/test', { json: { url: rx.url } }), 401);
    assertStatus(await api.post('/internal-api/v1/config/webhooks/test', { json: { url: rx.url } }), 401);
    await sleep(300);
    assert.equal(rx.deliveries.length, before);
  });

  it('sends one signed testEvent to the given URL (not the configured one): 200', async () => {
    const url = `${rx2.url}?probe=1`;
    const before = rx2.deliveries.length;
    const t0 = Date.now();
    const res = await test(url);
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: 'Webhook URL is valid' });
    const d = rx2.deliveries[before];
    assert.ok(d, 'delivered');
    assert.equal(d.path, '/other/hook?probe=1');
    rx2.setApiKey(apiKey);
    const v = verifyWebhook({ apiKey, timestamp: d.timestamp, signature: d.signature, rawBody: d.rawBody });
    assert.ok(v.verified, v.reason);
    assert.deepEqual(Object.keys(d.json), ['event', 'creationDate', 'data']);
    assert.equal(d.json.event, 'testEvent');
    assert.deepEqual(d.json.data, { message: 'This is a test webhook event' });
    assert.equal(d.timestamp, String(d.json.creationDate));
    assert.ok(d.json.creationDate >= t0 - 5 && d.json.creationDate <= Date.now() + 5);
    assert.equal(d.webhookId, undefined, 'a test event is not an outbox event: no X-Webhook-Id');
    assert.match(d.headers['content-type'] ?? '', /^application\/json\b/);
  });

  const failures = [
    [500, 'Server error (500 Internal Server Error)'],
    [503, 'Server error (503 Service Unavailable)'],
    [404, 'Client error (404 Not Found)'],
    [401, 'Client error (401 Unauthorized)'],
  ];
  for (const [status, reason] of failures) {
    it(`a ${status} answer → 400 Webhook Error "${reason}", sent once (no retries)`, async () => {
      rx2.respondWith(status);
      try {
        const before = rx2.deliveries.length;
        const res = await test(rx2.url);
        assertError(res, 400, 'Webhook Error', `Webhook URL '${rx2.url}' is invalid: ${reason}`);
        await sleep(QUIET_MS);
        assert.equal(rx2.deliveries.length, before + 1);
      } finally {
        rx2.respondWith(200);
      }
    });
  }

  it('a receiver that is down → 400 "Connection refused by server"', async () => {
    await rx2.stop();
    try {
      assertError(await test(rx2.url), 400, 'Webhook Error', `Webhook URL '${rx2.url}' is invalid: Connection refused by server`);
    } finally {
      await rx2.start();
    }
  });

  it('a connection reset → 400 "Connection reset by server"', async () => {
    rx2.respondWith('reset');
    try {
      assertError(await test(rx2.url), 400, 'Webhook Error', `Webhook URL '${rx2.url}' is invalid: Connection reset by server`);
    } finally {
      rx2.respondWith(200);
    }
  });

  it('a receiver that does not answer within 5 s → 400 "Request timed out after 5 seconds"', { timeout: 20000 }, async () => {
    rx2.respondWith('hang');
    try {
      const t0 = Date.now();
      const res = await test(rx2.url, { timeoutMs: 15000 });
      const took = Date.now() - t0;
      assertError(res, 400, 'Webhook Error', `Webhook URL '${rx2.url}' is invalid: Request timed out after 5 seconds`);
      assert.ok(took >= 4800 && took <= 7000, `answered after ${took} ms`);
    } finally {
      rx2.respondWith(200);
    }
  });

  it('URL validation (422) comes before any request', async () => {
    const before = rx2.deliveries.length;
    assertValidationIncludes(await test('ftp://127.0.0.1/hook'), { field: 'url', message: 'URL must start with http:// or https://' });
    assertValidationIncludes(await test('not a url'), { field: 'url', message: 'Must be a valid URL' });
    assertValidationIncludes(await asAdmin('POST', '/internal-api/v1/config/webhooks/test', { json: {} }), { field: 'url' });
    assert.equal(rx2.deliveries.length, before);
  });
});

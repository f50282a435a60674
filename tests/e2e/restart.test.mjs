// Durability: every acknowledged write survives SIGKILL; SIGTERM exits cleanly.
// Spec: convene-deviations.md §7.2 (atomic, synchronous writes for acknowledged requests).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, startConvene } from './support/convene.mjs';
import { assertError, assertStatus, listAllRooms } from './support/rooms.mjs';

let server;
let api;

before(async () => {
  server = await startConvene();
  api = apiClient(server);
});

after(async () => {
  await server?.close();
});

/** Rewrites URLs of a room JSON text from one base to another (the port may change on restart). */
function rebase(value, fromUrl, toUrl) {
  return JSON.parse(JSON.stringify(value).split(fromUrl).join(toUrl));
}

describe('restart', () => {
  const N = 50;
  let createdBodies = [];
  let closedId;
  let configId;
  let deletedId;
  const newConfig = { recording: { enabled: false }, chat: { enabled: false }, virtualBackground: { enabled: true }, maxParticipants: 7 };

  it('every acknowledged room survives SIGKILL right after the last 201', { timeout: 90000 }, async () => {
    const date = Date.now() + 5 * 3600 * 1000;
    const results = await Promise.all(Array.from({ length: N }, (_, i) =>
      api.post('/api/v1/rooms', {
        json: i % 5 === 0
          ? { roomName: `durable ${i}`, autoDeletionDate: date + i, autoDeletionPolicy: { withMeeting: 'force', withRecordings: 'close' } }
          : { roomName: `durable ${i}` },
        timeoutMs: 30000,
      })));
    const killed = server.kill();
    for (const r of results) assertStatus(r, 201);
    const exit = await killed;
    assert.equal(exit.signal, 'SIGKILL');
    createdBodies = results.map((r) => r.body);
    const oldUrl = server.url;

    await server.restart();
    api = apiClient(server);
    for (const body of createdBodies) {
      const res = await api.get(`/api/v1/rooms/${body.roomId}`);
      assertStatus(res, 200);
      const expected = rebase(body, oldUrl, server.url);
      assert.deepEqual(res.body, expected);
      assert.deepEqual(Object.keys(res.body), Object.keys(expected), 'same key order');
    }
    const { rooms } = await listAllRooms(api, 'maxItems=100');
    assert.deepEqual(rooms.map((r) => r.roomId).sort(), createdBodies.map((b) => b.roomId).sort());
  });

  it('acknowledged updates and deletes survive SIGKILL', { timeout: 60000 }, async () => {
    [closedId, configId, deletedId] = createdBodies.slice(0, 3).map((b) => b.roomId);
    assertStatus(await api.put(`/api/v1/rooms/${closedId}/status`, { json: { status: 'closed' } }), 200);
    assertStatus(await api.put(`/api/v1/rooms/${configId}/config`, { json: { config: newConfig } }), 200);
    assertStatus(await api.del(`/api/v1/rooms/${deletedId}`), 200);
    const snapshot = await listAllRooms(api, 'maxItems=100');
    const oldUrl = server.url;
    const exit = await server.kill();
    assert.equal(exit.signal, 'SIGKILL');

    await server.restart();
    api = apiClient(server);
    const res = await api.get(`/api/v1/rooms/${closedId}`);
    assertStatus(res, 200);
    assert.equal(res.body.status, 'closed');
    assert.equal(res.body.meetingEndAction, 'none');
    assert.deepEqual((await api.get(`/api/v1/rooms/${configId}/config`)).body, newConfig);
    assertError(await api.get(`/api/v1/rooms/${deletedId}`), 404, 'Room Error', `Room '${deletedId}' does not exist`);
    const after = await listAllRooms(api, 'maxItems=100');
    assert.deepEqual(after.rooms, rebase(snapshot.rooms, oldUrl, server.url), 'the whole list is identical');
  });

  it('graceful SIGTERM exits with code 0 and the data is still there afterwards', { timeout: 60000 }, async () => {
    const before = await listAllRooms(api, 'maxItems=100');
    const oldUrl = server.url;
    const exit = await server.stop();
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.match(server.logs(), /Convene listening/);

    await server.restart();
    api = apiClient(server);
    const after = await listAllRooms(api, 'maxItems=100');
    assert.deepEqual(after.rooms, rebase(before.rooms, oldUrl, server.url));
    assert.equal(after.rooms.length, N - 1);
    // Still writable after the restart.
    assertStatus(await api.post('/api/v1/rooms', { json: { roomName: 'after restart' } }), 201);
  });

  it('SIGTERM while requests are in flight: acknowledged creates survive, exit code 0', { timeout: 60000 }, async () => {
    const inflight = Array.from({ length: 30 }, (_, i) =>
      api.post('/api/v1/rooms', { json: { roomName: `inflight ${i}` }, timeoutMs: 20000 }).catch((e) => ({ status: 0, error: e })));
    await new Promise((r) => setTimeout(r, 5));
    const exit = await server.stop();
    const results = await Promise.all(inflight);
    assert.deepEqual(exit, { code: 0, signal: null });
    const acknowledged = results.filter((r) => r.status === 201).map((r) => r.body.roomId);

    await server.restart();
    api = apiClient(server);
    for (const id of acknowledged) assertStatus(await api.get(`/api/v1/rooms/${id}`), 200);
  });
});

// DELETE /api/v1/rooms/{roomId} and bulk DELETE /api/v1/rooms.
// Spec: reference-api.md §4.1 (DELETE routes), §6.2, §7.2, §7.3; convene-deviations.md §10 (rooms never
// have recordings). Active meetings cannot be produced end-to-end yet, so only idle rooms are deleted here.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, request, startConvene } from './support/convene.mjs';
import {
  assertError,
  assertStatus,
  assertValidation,
  createRoom,
  createRooms,
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

const notFound = (id) => ['Room Error', `Room '${id}' does not exist`];
const deleted = (id) => ({ successCode: 'room_deleted', message: `Room '${id}' deleted successfully` });
const WITH_MEETING = ['force', 'when_meeting_ends', 'fail'];
const WITH_RECORDINGS = ['force', 'close', 'fail'];
const ENUM_MEETING = (v) => `Invalid enum value. Expected 'force' | 'when_meeting_ends' | 'fail', received '${v}'`;
const ENUM_RECORDINGS = (v) => `Invalid enum value. Expected 'force' | 'close' | 'fail', received '${v}'`;

async function assertGone(id) {
  assertError(await api.get(`/api/v1/rooms/${id}`), 404, ...notFound(id));
}

describe('DELETE /api/v1/rooms/{roomId}', () => {
  it('deletes an open room with the default policies: 200 room_deleted, then 404', async () => {
    const room = await createRoom(api, { roomName: 'doomed' });
    const res = await api.del(`/api/v1/rooms/${room.roomId}`);
    assertStatus(res, 200);
    assert.deepEqual(res.body, deleted(room.roomId));
    await assertGone(room.roomId);
    assertError(await api.del(`/api/v1/rooms/${room.roomId}`), 404, ...notFound(room.roomId));
    const list = await api.get('/api/v1/rooms?roomName=doomed');
    assert.deepEqual(list.body.rooms, []);
  });

  it('deletes a closed room', async () => {
    const room = await createRoom(api, {});
    assertStatus(await api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } }), 200);
    const res = await api.del(`/api/v1/rooms/${room.roomId}`);
    assertStatus(res, 200);
    assert.deepEqual(res.body, deleted(room.roomId));
    await assertGone(room.roomId);
  });

  for (const withMeeting of WITH_MEETING) {
    for (const withRecordings of WITH_RECORDINGS) {
      it(`idle room, withMeeting=${withMeeting} withRecordings=${withRecordings} → 200 room_deleted`, async () => {
        const room = await createRoom(api, {});
        const res = await api.del(`/api/v1/rooms/${room.roomId}?withMeeting=${withMeeting}&withRecordings=${withRecordings}`);
        assertStatus(res, 200);
        assert.deepEqual(res.body, deleted(room.roomId));
        await assertGone(room.roomId);
      });
    }
  }

  it('a room with an auto-deletion policy is still deleted on request', async () => {
    const room = await createRoom(api, {
      autoDeletionDate: Date.now() + 2 * 3600 * 1000,
      autoDeletionPolicy: { withMeeting: 'force', withRecordings: 'force' },
    });
    const res = await api.del(`/api/v1/rooms/${room.roomId}?withMeeting=fail`);
    assertStatus(res, 200);
    assert.deepEqual(res.body, deleted(room.roomId));
  });

  it('sanitises the id and reports the sanitised one', async () => {
    const room = await createRoom(api, {});
    const res = await api.del(`/api/v1/rooms/%20${room.roomId}!%20`);
    assertStatus(res, 200);
    assert.deepEqual(res.body, deleted(room.roomId));
    await assertGone(room.roomId);
  });

  it('422 with an empty field path for an id that sanitises to nothing or is too long', async () => {
    assertValidation(await api.del('/api/v1/rooms/%21%21'), [{ field: '', message: 'roomId cannot be empty after sanitization' }]);
    assertValidation(await api.del(`/api/v1/rooms/${'b'.repeat(101)}`), [{ field: '', message: 'roomId cannot exceed 100 characters' }]);
  });

  it('422 for invalid policy values (zod enum messages)', async () => {
    const room = await createRoom(api, {});
    assertValidation(await api.del(`/api/v1/rooms/${room.roomId}?withMeeting=x`), [{ field: 'withMeeting', message: ENUM_MEETING('x') }]);
    assertValidation(await api.del(`/api/v1/rooms/${room.roomId}?withRecordings=x`), [{ field: 'withRecordings', message: ENUM_RECORDINGS('x') }]);
    assertValidation(await api.del(`/api/v1/rooms/${room.roomId}?withMeeting=FORCE&withRecordings=delete`), [
      { field: 'withMeeting', message: ENUM_MEETING('FORCE') },
      { field: 'withRecordings', message: ENUM_RECORDINGS('delete') },
    ]);
    assertValidation(await api.del(`/api/v1/rooms/${room.roomId}?withMeeting[x]=force&withRecordings[]=force`), [
      { field: 'withMeeting', message: "Expected 'force' | 'when_meeting_ends' | 'fail', received object" },
      { field: 'withRecordings', message: "Expected 'force' | 'close' | 'fail', received array" },
    ]);
    // Nothing was deleted by the rejected requests.
    assertStatus(await api.get(`/api/v1/rooms/${room.roomId}`), 200);
  });

  it('404 for a missing room', async () => {
    assertError(await api.del('/api/v1/rooms/non-existent-room'), 404, ...notFound('non-existent-room'));
    assertError(await api.del('/api/v1/rooms/non-existent-room?withMeeting=force&withRecordings=force'), 404, ...notFound('non-existent-room'));
  });

  it('401 without a key or with a wrong key; nothing deleted', async () => {
    const room = await createRoom(api, {});
    assertError(await request(server.url, 'DELETE', `/api/v1/rooms/${room.roomId}`), 401, 'Authentication Error', 'Unauthorized');
    assertError(await request(server.url, 'DELETE', `/api/v1/rooms/${room.roomId}`, { headers: { 'x-api-key': 'bad' } }),
      401, 'Authentication Error', 'Invalid API key');
    assertError(await request(server.url, 'DELETE', `/api/v1/rooms/${room.roomId}?withMeeting=x`), 401, 'Authentication Error', 'Unauthorized');
    assertStatus(await api.get(`/api/v1/rooms/${room.roomId}`), 200);
  });
});

describe('DELETE /api/v1/rooms (bulk)', () => {
  const entry = (id) => ({ roomId: id, ...deleted(id) });
  const byId = (a, b) => (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0);

  it('CSV roomIds: 200 with every room successful', async () => {
    const rooms = await createRooms(api, 3, { roomName: 'bulk csv' });
    const ids = rooms.map((r) => r.roomId);
    const res = await api.del(`/api/v1/rooms?roomIds=${ids.join(',')}`);
    assertStatus(res, 200);
    assert.deepEqual(Object.keys(res.body), ['message', 'successful']);
    assert.equal(res.body.message, 'All rooms successfully processed for deletion');
    assert.deepEqual([...res.body.successful].sort(byId), ids.map(entry).sort(byId));
    for (const id of ids) await assertGone(id);
  });

  it('repeated roomIds parameters', async () => {
    const rooms = await createRooms(api, 3, { roomName: 'bulk repeated' });
    const ids = rooms.map((r) => r.roomId);
    const res = await api.del(`/api/v1/rooms?${ids.map((id) => `roomIds=${id}`).join('&')}`);
    assertStatus(res, 200);
    assert.deepEqual([...res.body.successful].sort(byId), ids.map(entry).sort(byId));
    for (const id of ids) await assertGone(id);
  });

  it('roomIds[] elements are taken whole (a comma inside is sanitised away); roomIds[x] holds no id', async () => {
    const rooms = await createRooms(api, 2, { roomName: 'bulk brackets' });
    const [a, b] = rooms.map((r) => r.roomId);
    const res = await api.del(`/api/v1/rooms?roomIds[]=${a}&roomIds[]=${b}`);
    assertStatus(res, 200);
    assert.deepEqual([...res.body.successful].sort(byId), [a, b].map(entry).sort(byId));
    const room = await createRoom(api, { roomName: 'bulk object' });
    assertValidation(await api.del(`/api/v1/rooms?roomIds[x]=${room.roomId}`),
      [{ field: 'roomIds', message: 'At least one valid roomId is required after sanitization' }]);
    assertStatus(await api.get(`/api/v1/rooms/${room.roomId}`), 200);
  });

  it('ids are trimmed and sanitised, duplicates removed, empties dropped', async () => {
    const room = await createRoom(api, { roomName: 'bulk dup' });
    const id = room.roomId;
    const q = [id, `%20${id}%20`, `${id}!`, '', '%21%21%21', `%20${id}`].join(',');
    const res = await api.del(`/api/v1/rooms?roomIds=${q}`);
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: 'All rooms successfully processed for deletion', successful: [entry(id)] });
    await assertGone(id);
  });

  it('duplicates across repeated parameters are removed too', async () => {
    const room = await createRoom(api, {});
    const res = await api.del(`/api/v1/rooms?roomIds=${room.roomId}&roomIds=${room.roomId}`);
    assertStatus(res, 200);
    assert.deepEqual(res.body.successful, [entry(room.roomId)]);
  });

  it('422 when no valid id is left', async () => {
    const detail = [{ field: 'roomIds', message: 'At least one valid roomId is required after sanitization' }];
    assertValidation(await api.del('/api/v1/rooms?roomIds=%21%21%21,,%20'), detail);
    assertValidation(await api.del('/api/v1/rooms?roomIds='), detail);
  });

  it('422 without roomIds at all', async () => {
    const res = await api.del('/api/v1/rooms');
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.error, 'Unprocessable Entity');
    assert.ok(res.body.details.some((d) => d.field === 'roomIds'), res.text);
  });

  it('partial failure: 400 with successful and failed lists; the existing room is deleted', async () => {
    const room = await createRoom(api, { roomName: 'bulk partial' });
    const res = await api.del(`/api/v1/rooms?roomIds=${room.roomId},ghost-room`);
    assertStatus(res, 400);
    assert.deepEqual(res.body, {
      message: '1 room(s) failed to process while deleting',
      successful: [entry(room.roomId)],
      failed: [{ roomId: 'ghost-room', error: 'Room Error', message: "Room 'ghost-room' does not exist" }],
    });
    await assertGone(room.roomId);
  });

  it('all failing: 400 with an empty successful list', async () => {
    const res = await api.del('/api/v1/rooms?roomIds=ghost-a,ghost-b');
    assertStatus(res, 400);
    assert.equal(res.body.message, '2 room(s) failed to process while deleting');
    assert.deepEqual(res.body.successful, []);
    assert.deepEqual([...res.body.failed].sort(byId), [
      { roomId: 'ghost-a', error: 'Room Error', message: "Room 'ghost-a' does not exist" },
      { roomId: 'ghost-b', error: 'Room Error', message: "Room 'ghost-b' does not exist" },
    ]);
  });

  it('deletes 20 rooms (two batches) in one request', { timeout: 60000 }, async () => {
    const rooms = await createRooms(api, 20, { roomName: 'bulk twenty' });
    const ids = rooms.map((r) => r.roomId);
    const res = await api.del(`/api/v1/rooms?roomIds=${ids.join(',')}`);
    assertStatus(res, 200);
    assert.equal(res.body.successful.length, 20);
    assert.deepEqual([...res.body.successful].sort(byId), ids.map(entry).sort(byId));
    const list = await api.get('/api/v1/rooms?roomName=bulktwenty&maxItems=100');
    assert.deepEqual(list.body.rooms, []);
  });

  it('accepts valid policies and rejects invalid ones', async () => {
    const rooms = await createRooms(api, 2, {});
    const ids = rooms.map((r) => r.roomId);
    assertValidation(await api.del(`/api/v1/rooms?roomIds=${ids.join(',')}&withMeeting=x`), [{ field: 'withMeeting', message: ENUM_MEETING('x') }]);
    assertValidation(await api.del(`/api/v1/rooms?roomIds=${ids.join(',')}&withRecordings=x`), [{ field: 'withRecordings', message: ENUM_RECORDINGS('x') }]);
    for (const id of ids) assertStatus(await api.get(`/api/v1/rooms/${id}`), 200);
    const res = await api.del(`/api/v1/rooms?roomIds=${ids.join(',')}&withMeeting=force&withRecordings=force`);
    assertStatus(res, 200);
    assert.deepEqual([...res.body.successful].sort(byId), ids.map(entry).sort(byId));
  });

  it('401 without a key, before validation', async () => {
    assertError(await request(server.url, 'DELETE', '/api/v1/rooms?roomIds=%21%21'), 401, 'Authentication Error', 'Unauthorized');
    assertError(await request(server.url, 'DELETE', '/api/v1/rooms?roomIds=a', { headers: { 'x-api-key': 'bad' } }),
      401, 'Authentication Error', 'Invalid API key');
  });
});

describe('deletion under concurrency', () => {
  it('10 parallel deletes of one room: exactly one 200, the rest 404', async () => {
    const room = await createRoom(api, { roomName: 'race delete' });
    const results = await Promise.all(Array.from({ length: 10 }, () => api.del(`/api/v1/rooms/${room.roomId}`)));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, ...Array(9).fill(404)], results.map((r) => r.text).join('\n'));
    await assertGone(room.roomId);
  });

  it('updates racing a delete never resurrect the room', { timeout: 60000 }, async () => {
    const config = { recording: { enabled: false }, chat: { enabled: false }, virtualBackground: { enabled: false } };
    for (let round = 0; round < 10; round++) {
      const room = await createRoom(api, { roomName: 'race update' });
      const ops = [];
      for (let i = 0; i < 5; i++) {
        ops.push(api.put(`/api/v1/rooms/${room.roomId}/config`, { json: { config } }));
        ops.push(api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: i % 2 ? 'open' : 'closed' } }));
      }
      ops.splice(5, 0, api.del(`/api/v1/rooms/${room.roomId}`));
      const results = await Promise.all(ops);
      assertStatus(results[5], 200);
      for (const r of results) assert.ok(r.status === 200 || r.status === 404, r.text);
      await assertGone(room.roomId);
    }
    const list = await api.get('/api/v1/rooms?roomName=raceupdate');
    assert.deepEqual(list.body.rooms, []);
  });

  it('overlapping bulk deletes: each room reported deleted exactly once', async () => {
    const rooms = await createRooms(api, 10, { roomName: 'race bulk' });
    const ids = rooms.map((r) => r.roomId);
    const [a, b] = await Promise.all([
      api.del(`/api/v1/rooms?roomIds=${ids.join(',')}`),
      api.del(`/api/v1/rooms?roomIds=${[...ids].reverse().join(',')}`),
    ]);
    const ok = [...(a.body.successful ?? []), ...(b.body.successful ?? [])].map((e) => e.roomId).sort();
    const failed = [...(a.body.failed ?? []), ...(b.body.failed ?? [])];
    assert.deepEqual(ok, [...ids].sort(), 'each room deleted exactly once');
    assert.equal(failed.length, 10);
    for (const f of failed) assert.equal(f.error, 'Room Error');
  });
});

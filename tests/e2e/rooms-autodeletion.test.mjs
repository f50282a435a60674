// Room garbage collector: expired rooms are deleted with their own policy, others stay.
// Spec: reference-api.md §8, §17.4; Convene env MEET_ROOM_GC_INTERVAL and MEET_MIN_AUTODELETION_FUTURE.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, startConvene } from './support/convene.mjs';
import { assertStatus, assertValidation, createRoom, createRooms, waitFor } from './support/rooms.mjs';

let server;
let api;

before(async () => {
  server = await startConvene({ env: { MEET_MIN_AUTODELETION_FUTURE: '0s', MEET_ROOM_GC_INTERVAL: '200ms' } });
  api = apiClient(server);
});

after(async () => {
  await server?.close();
});

async function exists(id) {
  const res = await api.get(`/api/v1/rooms/${id}`);
  if (res.status === 200) return true;
  assert.equal(res.status, 404, res.text);
  return false;
}

describe('auto-deletion', () => {
  it('MEET_MIN_AUTODELETION_FUTURE=0s still rejects dates in the past', async () => {
    const res = await api.post('/api/v1/rooms', { json: { autoDeletionDate: Date.now() - 60000 } });
    assert.equal(res.status, 422, res.text);
    assert.ok(res.body.details.every((d) => d.field === 'autoDeletionDate'), res.text);
  });

  it('an expired room disappears within a bounded wait; rooms without a date or with a later date stay',
    { timeout: 30000 }, async () => {
      const date = Date.now() + 1500;
      const expiring = await createRoom(api, { roomName: 'expiring', autoDeletionDate: date });
      const forced = await createRoom(api, {
        roomName: 'expiring-forced',
        autoDeletionDate: date,
        autoDeletionPolicy: { withMeeting: 'force', withRecordings: 'force' },
      });
      const closed = await createRoom(api, { roomName: 'expiring-closed', autoDeletionDate: date });
      assertStatus(await api.put(`/api/v1/rooms/${closed.roomId}/status`, { json: { status: 'closed' } }), 200);
      const keep = await createRoom(api, { roomName: 'keeper' });
      const later = await createRoom(api, { roomName: 'later', autoDeletionDate: Date.now() + 10 * 60 * 1000 });

      // Not deleted before its date (the collector runs every 200 ms).
      if (Date.now() < date - 300) {
        assert.equal(await exists(expiring.roomId), true, 'still there before the date');
      }

      const gone = await waitFor(async () => {
        const states = await Promise.all([expiring, forced, closed].map((r) => exists(r.roomId)));
        return states.every((s) => !s) ? Date.now() : false;
      }, { timeoutMs: 10000, intervalMs: 100 });
      assert.ok(gone, 'expired rooms were deleted within 10 s of creation');
      assert.ok(gone >= date, `deleted only after the date (${gone - date} ms after)`);

      assert.equal(await exists(keep.roomId), true, 'room without a date stays');
      assert.equal(await exists(later.roomId), true, 'room with a later date stays');
      const list = await api.get('/api/v1/rooms?roomName=expiring&maxItems=100');
      assert.deepEqual(list.body.rooms, []);
    });

  it('deletes more expired rooms than one listing page (250 > 100) in one go', { timeout: 60000 }, async () => {
    const date = Date.now() + 2000;
    const rooms = await createRooms(api, 250, (i) => ({ roomName: `batch${i % 7}`, autoDeletionDate: date }));
    const survivor = await createRoom(api, { roomName: 'batchkeeper' });
    const gone = await waitFor(async () => {
      const res = await api.get('/api/v1/rooms?roomName=batch&maxItems=100');
      assertStatus(res, 200);
      return res.body.rooms.every((r) => r.roomId.startsWith('batchkeeper'));
    }, { timeoutMs: 15000, intervalMs: 200 });
    assert.ok(gone, 'all 250 expired rooms deleted within 15 s');
    assert.equal(await exists(survivor.roomId), true);
    for (const r of rooms.slice(0, 5)) assert.equal(await exists(r.roomId), false);
  });

  it('rooms stay deleted and the collector keeps running', { timeout: 30000 }, async () => {
    const r = await createRoom(api, { roomName: 'second-wave', autoDeletionDate: Date.now() + 800 });
    const gone = await waitFor(async () => !(await exists(r.roomId)), { timeoutMs: 10000, intervalMs: 100 });
    assert.ok(gone, 'second expired room deleted too');
  });
});

describe('default minimum lead (1h) on a normal server', () => {
  it('a date 1.5 s ahead is rejected by default', async () => {
    const s = await startConvene();
    try {
      const res = await apiClient(s).post('/api/v1/rooms', { json: { autoDeletionDate: Date.now() + 1500 } });
      assertValidation(res, [{ field: 'autoDeletionDate', message: 'autoDeletionDate must be at least 1h in the future' }]);
    } finally {
      await s.close();
    }
  });
});

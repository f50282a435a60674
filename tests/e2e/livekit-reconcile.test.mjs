// Reconciliation of the participant registry and meeting status against LiveKit, with
// MEET_RECONCILE_INTERVAL=300ms and MEET_NAME_PENDING_TTL=1s.
// Spec: convene-deviations.md §3.3, §6.3; reference-api.md §12.6 R1, R3, R5; bug B7.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertStatus, decodeJwt, sleep, startStack } from './support/livekit.mjs';

const PENDING_TTL_MS = 1000;
const INTERVAL_MS = 300;
// A reservation is released once its TTL passed and a reconciliation ran: ~1.3–1.6 s. Allow margin.
const RELEASE_WAIT_MS = PENDING_TTL_MS + 4 * INTERVAL_MS + 400;

let s;

before(async () => {
  s = await startStack({
    conveneEnv: { MEET_RECONCILE_INTERVAL: `${INTERVAL_MS}ms`, MEET_NAME_PENDING_TTL: `${PENDING_TTL_MS / 1000}s` },
  });
});

after(async () => {
  await s?.close();
});

/** A named speaker token: {token, name, identity} (the identity is minted from the name). */
async function nameFor(room, requested) {
  const t = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: requested });
  const { payload } = decodeJwt(t);
  return { token: t, name: payload.name, identity: payload.sub };
}

/** Turns webhook delivery off for the duration of fn (a lost-webhook scenario). */
async function withoutWebhooks(fn) {
  await s.settle();
  s.emulator.configure({ webhookUrl: null });
  try {
    return await fn();
  } finally {
    s.emulator.configure({ webhookUrl: s.webhookUrl });
  }
}

describe('Pending reservations (deviations §3.3, R3)', () => {
  it('a named token never used → its name is free again after the pending TTL', async () => {
    const room = await s.createRoom({ roomName: 'pending' });
    assert.equal((await nameFor(room, 'Pending')).name, 'Pending');
    assert.equal((await nameFor(room, 'Pending')).name, 'Pending_1', 'reserved right after the request');
    await sleep(RELEASE_WAIT_MS);
    assert.equal((await nameFor(room, 'Pending')).name, 'Pending');
    assert.equal((await nameFor(room, 'pending')).name, 'pending_1', 'Pending_1 was released too: lowest free number');
  });

  it('not released before the TTL', async () => {
    const room = await s.createRoom({ roomName: 'early' });
    assert.equal((await nameFor(room, 'Early')).name, 'Early');
    await sleep(PENDING_TTL_MS / 2);
    assert.equal((await nameFor(room, 'Early')).name, 'Early_1');
  });

  it('a joined participant keeps its name however long it stays (R1, R5)', async () => {
    const room = await s.createRoom({ roomName: 'held' });
    const p = await nameFor(room, 'Held');
    await s.join(p.token);
    await sleep(RELEASE_WAIT_MS);
    assert.equal((await nameFor(room, 'Held')).name, 'Held_1');
    assert.deepEqual(s.lkIdentities(room.roomId), [p.identity]);
  });

  it('a participant whose participant_joined webhook was lost keeps its name (LiveKit has it)', async () => {
    const room = await s.createRoom({ roomName: 'lost joined' });
    const p = await nameFor(room, 'Quiet');
    await withoutWebhooks(async () => {
      await s.join(p.token, { wait: false });
      await sleep(RELEASE_WAIT_MS);
      assert.equal((await nameFor(room, 'Quiet')).name, 'Quiet_1', 'the present participant is not released');
    });
  });

  it('a participant whose participant_left webhook was lost has its name released', async () => {
    const room = await s.createRoom({ roomName: 'lost left' });
    const p = await nameFor(room, 'Gone');
    await s.join(p.token);
    const other = await nameFor(room, 'Other');
    await s.join(other.token);
    await withoutWebhooks(async () => {
      await s.leave(room.roomId, p.identity, { wait: false });
      await sleep(RELEASE_WAIT_MS);
      assert.equal((await nameFor(room, 'Gone')).name, 'Gone');
    });
  });
});

describe('Meetings whose LiveKit room vanished without a webhook (deviations §6.3)', () => {
  it('active_meeting is cleared by reconciliation (DeleteRoom with webhooks off)', async () => {
    const room = await s.createRoom({ roomName: 'vanished' });
    const p = await nameFor(room, 'V');
    await s.join(p.token);
    assert.equal((await s.getRoom(room.roomId)).status, 'active_meeting');
    await withoutWebhooks(async () => {
      await s.roomService().deleteRoom(room.roomId);
      const got = await s.waitFor(async () => {
        const r = await s.getRoom(room.roomId);
        return r.status === 'open' ? r : null;
      }, RELEASE_WAIT_MS + 2000, { intervalMs: 100, label: 'status back to open' });
      assert.equal(got.meetingEndAction, 'none');
      // Its names are released too (at the latest once their pending TTL is over).
      await sleep(RELEASE_WAIT_MS);
      assert.equal((await nameFor(room, 'V')).name, 'V', 'names of the finished meeting are released');
    });
  });

  it('the room times out in LiveKit while webhooks are lost → open', async () => {
    const room = await s.createRoom({ roomName: 'timed out' });
    const p = await nameFor(room, 'T');
    await s.join(p.token);
    s.emulator.setRoomTimeouts({ room: room.roomId, departureTimeout: 1 });
    await withoutWebhooks(async () => {
      await s.leave(room.roomId, p.identity, { wait: false });
      await s.waitFor(() => s.lkRoom(room.roomId) === null, 5000, { label: 'LiveKit closes the room' });
      await s.waitFor(async () => (await s.getRoom(room.roomId)).status === 'open', RELEASE_WAIT_MS + 2000,
        { intervalMs: 100, label: 'status back to open' });
    });
  });

  it('a close scheduled during the meeting is applied when reconciliation finds the room gone', async () => {
    const room = await s.createRoom({ roomName: 'scheduled' });
    const p = await nameFor(room, 'S');
    await s.join(p.token);
    assertStatus(await s.api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } }), 202);
    await withoutWebhooks(async () => {
      await s.roomService().deleteRoom(room.roomId);
      await s.waitFor(async () => (await s.getRoom(room.roomId)).status === 'closed', RELEASE_WAIT_MS + 2000,
        { intervalMs: 100, label: 'closed' });
    });
  });

  it('a meeting whose room is still in LiveKit is left alone', async () => {
    const room = await s.createRoom({ roomName: 'alive' });
    const p = await nameFor(room, 'A');
    await s.join(p.token);
    await sleep(RELEASE_WAIT_MS);
    assert.equal((await s.getRoom(room.roomId)).status, 'active_meeting');
  });

  it('reconciliation runs at start-up: a meeting that ended while Convene was down is cleared', async () => {
    const room = await s.createRoom({ roomName: 'restart' });
    const p = await nameFor(room, 'R');
    await s.join(p.token);
    assert.equal((await s.getRoom(room.roomId)).status, 'active_meeting');
    await s.settle();
    s.emulator.configure({ webhookUrl: null });
    try {
      await s.convene.stop();
      await s.roomService().deleteRoom(room.roomId);
      await s.convene.restart();
      s.webhookUrl = `${s.convene.url}/livekit/webhook`;
      await s.waitFor(async () => {
        const res = await s.api.get(`/api/v1/rooms/${room.roomId}`);
        return res.status === 200 && res.body.status === 'open';
      }, RELEASE_WAIT_MS + 3000, { intervalMs: 100, label: 'open after restart' });
    } finally {
      s.emulator.configure({ webhookUrl: s.webhookUrl });
    }
  });
});

// POST /livekit/webhook: verification, idempotency, ownership, meeting life cycle driven by LiveKit
// events, and the room-config signal.
// Spec: reference-api.md §4.8, §7.1, §13.4 (config signal), §14; livekit.md §5;
// convene-deviations.md §3.2, §3.3, §6.1, §6.2, §6.4; bugs B7, B10, R4, R6.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  CONFIG_UPDATED_TOPIC,
  assertStatus,
  decodeJwt,
  signJwt,
  signWebhookBody,
  startStack,
  webhookEvent,
} from './support/livekit.mjs';

let s;

before(async () => {
  s = await startStack();
});

after(async () => {
  await s?.close();
});

const meetMetadata = (roomName = 'x') => JSON.stringify({ createdBy: 'openviduMeet', roomOptions: { roomName } });

function joinedEvent(roomId, identity, { name = identity, metadata = meetMetadata(), id } = {}) {
  return webhookEvent('participant_joined', {
    id,
    room: { sid: 'RM_test00000001', name: roomId, metadata, numParticipants: 1 },
    participant: { sid: `PA_${identity.replace(/\W/g, '')}`.slice(0, 15), identity, name, state: 'ACTIVE', joinedAt: String(Math.floor(Date.now() / 1000)) },
  });
}

function leftEvent(roomId, identity, { name = identity, metadata = meetMetadata(), id } = {}) {
  return webhookEvent('participant_left', {
    id,
    room: { sid: 'RM_test00000001', name: roomId, metadata },
    participant: { sid: `PA_${identity.replace(/\W/g, '')}`.slice(0, 15), identity, name, state: 'DISCONNECTED', disconnectReason: 'CLIENT_INITIATED' },
  });
}

/** A named speaker token: {token, name, identity}. `opts` as for s.token (e.g. {cookie}). */
async function nameFor(room, requested, opts = {}) {
  const t = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: requested }, opts);
  const { payload } = decodeJwt(t);
  return { token: t, name: payload.name, identity: payload.sub };
}

describe('Verification (deviations §6.1, livekit.md §5.2)', () => {
  let room;
  before(async () => {
    room = await s.createRoom({ roomName: 'verify' });
  });

  const event = () => joinedEvent(room.roomId, 'intruder');

  it('a correctly signed event → 200 with an empty body', async () => {
    const r2 = await s.createRoom({ roomName: 'signed' });
    const res = await s.postWebhook(joinedEvent(r2.roomId, 'someone'));
    assertStatus(res, 200);
    assert.equal(res.text, '');
    assert.equal((await s.getRoom(r2.roomId)).status, 'active_meeting', 'the event was processed');
  });

  it('missing Authorization → 401, nothing processed', async () => {
    assertStatus(await s.postWebhook(event(), { authorization: null }), 401);
    assert.equal((await s.getRoom(room.roomId)).status, 'open');
  });

  it('signature with another secret → 401', async () => {
    const body = JSON.stringify(event());
    const auth = await signWebhookBody(body, { apiSecret: 'not-secret' });
    assertStatus(await s.postWebhook(body, { authorization: auth }), 401);
    assert.equal((await s.getRoom(room.roomId)).status, 'open');
  });

  it('another issuer (api key) → 401', async () => {
    const body = JSON.stringify(event());
    const auth = await signWebhookBody(body, { apiKey: 'otherkey' });
    assertStatus(await s.postWebhook(body, { authorization: auth }), 401);
  });

  it('body hash mismatch (body changed after signing) → 401', async () => {
    const body = JSON.stringify(event());
    const auth = await signWebhookBody(JSON.stringify({ ...event(), id: 'EV_other0000001' }));
    assertStatus(await s.postWebhook(body, { authorization: auth }), 401);
    assert.equal((await s.getRoom(room.roomId)).status, 'open');
  });

  it('no sha256 claim → 401', async () => {
    const body = JSON.stringify(event());
    const now = Math.floor(Date.now() / 1000);
    const auth = signJwt({ iss: 'devkey', nbf: now, exp: now + 300 });
    assertStatus(await s.postWebhook(body, { authorization: auth }), 401);
  });

  it('expired token (beyond the 10 s tolerance) → 401', async () => {
    const body = JSON.stringify(event());
    const now = Math.floor(Date.now() / 1000);
    const sha256 = createHash('sha256').update(body).digest('base64');
    const auth = signJwt({ iss: 'devkey', nbf: now - 600, exp: now - 60, sha256 });
    assertStatus(await s.postWebhook(body, { authorization: auth }), 401);
  });

  it('a "Bearer " prefix is not what LiveKit sends → 401', async () => {
    const body = JSON.stringify(event());
    const auth = await signWebhookBody(body);
    assertStatus(await s.postWebhook(body, { authorization: `Bearer ${auth}` }), 401);
  });

  it('garbage Authorization → 401', async () => {
    assertStatus(await s.postWebhook(event(), { authorization: 'garbage' }), 401);
    assert.equal((await s.getRoom(room.roomId)).status, 'open');
  });

  it("the emulator's own deliveries are all accepted (200)", async () => {
    await s.settle();
    const failed = s.webhooks().filter((w) => w.status !== 'delivered' || w.httpStatus !== 200);
    assert.deepEqual(failed.map((w) => `${w.event} ${w.status} ${w.httpStatus}`), []);
  });
});

describe('Idempotency by event id (deviations §6.1, B10)', () => {
  it('a redelivered participant_left (same id) does not release the name a second time', async () => {
    const room = await s.createRoom({ roomName: 'redeliver' });
    const first = await nameFor(room, 'Dup');
    assert.equal(first.name, 'Dup');
    await s.join(first.token);
    await s.leave(room.roomId, first.identity);
    const original = s.webhooks({ event: 'participant_left', room: room.roomId }).at(-1);
    assert.equal(original.status, 'delivered');

    // The same holder comes back (previous token in the cookie): same identity and name, so that
    // only the event id tells the redelivered leave from a real one.
    const second = await nameFor(room, 'Dup', { cookie: first.token });
    assert.equal(second.name, 'Dup', 'released by the first delivery');
    assert.equal(second.identity, first.identity, 'the holder keeps its identity');
    await s.join(second.token);

    // LiveKit redelivers the very same event (same id, same body, fresh signature).
    const res = await s.postWebhook(original.body);
    assertStatus(res, 200);
    const third = await nameFor(room, 'Dup');
    assert.equal(third.name, 'Dup_1', 'the second holder keeps its name');
    await s.join(third.token);
    assert.deepEqual(s.lkIdentities(room.roomId), [second.identity, third.identity].sort());
  });

  it('a redelivered participant_joined is harmless too', async () => {
    const room = await s.createRoom({ roomName: 'rejoined' });
    const p = await nameFor(room, 'Once');
    await s.join(p.token);
    const joined = s.webhooks({ event: 'participant_joined', room: room.roomId }).at(-1);
    assertStatus(await s.postWebhook(joined.body), 200);
    assertStatus(await s.postWebhook(joined.body), 200);
    assert.equal((await nameFor(room, 'Once')).name, 'Once_1');
  });
});

describe('Owner-checked release (deviations §3.2, R4)', () => {
  it('a late participant_left of a previous holder releases nothing', async () => {
    const room = await s.createRoom({ roomName: 'late left' });
    // Old session: identity id-1 with display name Zoe.
    const old = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Zoe', participantIdentity: 'id-1' });
    await s.join(old);
    await s.leave(room.roomId, 'id-1');
    const current = await nameFor(room, 'Zoe');
    assert.equal(current.name, 'Zoe');
    await s.join(current.token);
    // A late/duplicate participant_left of the old session (another event id).
    assertStatus(await s.postWebhook(leftEvent(room.roomId, 'id-1', { name: 'Zoe' })), 200);
    assert.equal((await nameFor(room, 'Zoe')).name, 'Zoe_1', 'Zoe is still held by its current owner');
  });

  it('a participant_left whose name does not match the reservation releases nothing', async () => {
    const room = await s.createRoom({ roomName: 'mismatch' });
    const ann = await nameFor(room, 'Ann');
    await s.join(ann.token);
    const bob = await nameFor(room, 'Bob');
    await s.join(bob.token);
    assertStatus(await s.postWebhook(leftEvent(room.roomId, bob.identity, { name: 'Ann' })), 200);
    assert.equal((await nameFor(room, 'Ann')).name, 'Ann_1', "Bob's leave cannot free Ann");
    assertStatus(await s.postWebhook(leftEvent(room.roomId, 'Carl', { name: 'Ann' })), 200);
    assert.equal((await nameFor(room, 'Ann')).name, 'Ann_2', 'an unknown identity frees nothing');
  });
});

describe('Ownership of events (reference §14.2)', () => {
  it('events for rooms of another deployment (createdBy ≠ openviduMeet) are ignored', async () => {
    const room = await s.createRoom({ roomName: 'foreign' });
    const foreign = JSON.stringify({ createdBy: 'someOtherApp', roomOptions: {} });
    const res = await s.postWebhook(joinedEvent(room.roomId, 'x', { metadata: foreign }));
    assertStatus(res, 200);
    assert.equal((await s.getRoom(room.roomId)).status, 'open');
    // Control: the same event with our metadata starts the meeting.
    assertStatus(await s.postWebhook(joinedEvent(room.roomId, 'x')), 200);
    assert.equal((await s.getRoom(room.roomId)).status, 'active_meeting');
  });

  it('a foreign room_finished does not end our meeting', async () => {
    const room = await s.createRoom({ roomName: 'foreign end' });
    const p = await nameFor(room, 'P');
    await s.join(p.token);
    assert.equal((await s.getRoom(room.roomId)).status, 'active_meeting');
    const ev = webhookEvent('room_finished', { room: { sid: 'RM_x', name: room.roomId, metadata: '{"createdBy":"another"}' } });
    assertStatus(await s.postWebhook(ev), 200);
    assert.equal((await s.getRoom(room.roomId)).status, 'active_meeting');
  });

  it('events for unknown rooms and unknown event types → 200, ignored', async () => {
    assertStatus(await s.postWebhook(joinedEvent('no-such-room', 'x')), 200);
    assertStatus(await s.postWebhook(webhookEvent('track_published', { room: { sid: 'RM_1', name: 'no-such-room' } })), 200);
    assertStatus(await s.postWebhook(webhookEvent('something_new')), 200);
  });
});

describe('A meeting starts when the first participant joins (deviations §6.2, B7)', () => {
  it('a named token creates the LiveKit room but the Meet room stays open; the join makes it active_meeting', async () => {
    const room = await s.createRoom({ roomName: 'b7' });
    const p = await nameFor(room, 'First');
    await s.settle();
    assert.ok(s.lkRoom(room.roomId), 'the LiveKit room exists');
    assert.equal(s.webhooks({ event: 'room_started', room: room.roomId }).length, 1);
    assert.equal((await s.getRoom(room.roomId)).status, 'open', 'room_started is not a meeting start');
    await s.join(p.token);
    assert.equal((await s.getRoom(room.roomId)).status, 'active_meeting');
  });

  it('while nobody joined, PUT status closed closes at once (200, not 202)', async () => {
    const room = await s.createRoom({ roomName: 'b7close' });
    await nameFor(room, 'Nobody');
    await s.settle();
    const res = await s.api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } });
    assertStatus(res, 200);
    assert.equal(res.body.message, `Room '${room.roomId}' closed successfully`);
    assert.equal(res.body.room.status, 'closed');
  });

  it('room_finished without any join changes nothing', async () => {
    const room = await s.createRoom({ roomName: 'b7finish' });
    await nameFor(room, 'Unused');
    await s.settle();
    await s.roomService().deleteRoom(room.roomId);
    await s.settle();
    assert.equal(s.webhooks({ event: 'room_finished', room: room.roomId }).at(-1)?.httpStatus, 200);
    const got = await s.getRoom(room.roomId);
    assert.equal(got.status, 'open');
    assert.equal(got.meetingEndAction, 'none');
  });

  it('a closed room stays closed after a room_finished of a never-started meeting', async () => {
    const room = await s.createRoom({ roomName: 'b7closed' });
    await nameFor(room, 'Early');
    await s.settle();
    assertStatus(await s.api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } }), 200);
    await s.roomService().deleteRoom(room.roomId);
    await s.settle();
    assert.equal((await s.getRoom(room.roomId)).status, 'closed');
  });

  it('a token issued before a close cannot start a meeting in the closed room', async () => {
    const room = await s.createRoom({ roomName: 'b7late' });
    const p = await nameFor(room, 'Sneaky');
    assertStatus(await s.api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } }), 200);
    await s.tryJoin(p.token);
    await s.waitFor(() => !s.lkIdentities(room.roomId).includes(p.identity), 5000, { label: 'removed from the closed room' });
    assert.equal((await s.getRoom(room.roomId)).status, 'closed');
  });
});

describe('Meeting end through LiveKit (room_finished, §14.3)', () => {
  it('departure timeout after the last participant left → room_finished → open, names released', async () => {
    const room = await s.createRoom({ roomName: 'timeout' });
    const p = await nameFor(room, 'Leaver');
    await s.join(p.token);
    s.emulator.setRoomTimeouts({ room: room.roomId, departureTimeout: 1 });
    await s.leave(room.roomId, p.identity);
    await s.waitFor(() => s.lkRoom(room.roomId) === null, 5000, { label: 'LiveKit closes the room' });
    await s.settle();
    assert.equal((await s.getRoom(room.roomId)).status, 'open');
    assert.equal((await nameFor(room, 'Leaver')).name, 'Leaver');
  });

  it('an operator DeleteRoom during a meeting with a scheduled close → closed', async () => {
    const room = await s.createRoom({ roomName: 'opdelete' });
    const p = await nameFor(room, 'Stayer');
    await s.join(p.token);
    assertStatus(await s.api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } }), 202);
    await s.roomService().deleteRoom(room.roomId);
    await s.settle();
    const got = await s.getRoom(room.roomId);
    assert.equal(got.status, 'closed');
    assert.equal(got.meetingEndAction, 'none');
  });

  it('room_finished releases the names of the finished meeting', async () => {
    const room = await s.createRoom({ roomName: 'finished names' });
    const a = await nameFor(room, 'Fin');
    await s.join(a.token);
    await s.roomService().deleteRoom(room.roomId);
    await s.settle();
    assert.equal((await nameFor(room, 'Fin')).name, 'Fin');
  });
});

describe('Room config updates reach LiveKit (§13.4, deviations §6.4)', () => {
  const newConfig = {
    recording: { enabled: false },
    chat: { enabled: false },
    virtualBackground: { enabled: true },
  };

  it('broadcast signal meet_room_config_updated and updated room metadata', async () => {
    const room = await s.createRoom({ roomName: 'Config Room' });
    const p = await nameFor(room, 'Viewer');
    await s.join(p.token);
    const t0 = Date.now();
    const res = await s.api.put(`/api/v1/rooms/${room.roomId}/config`, { json: { config: newConfig } });
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: `Room config for room '${room.roomId}' updated successfully` });
    const packets = await s.waitFor(() => {
      const ps = s.dataPackets(room.roomId, CONFIG_UPDATED_TOPIC);
      return ps.length ? ps : null;
    }, 5000, { label: 'config signal' });
    assert.equal(packets.length, 1);
    const [pkt] = packets;
    assert.equal(pkt.kind, 'RELIABLE');
    assert.deepEqual(pkt.destinationIdentities, [], 'broadcast');
    assert.deepEqual(pkt.destinationSids, []);
    assert.deepEqual(pkt.recipients, [p.identity]);
    const payload = JSON.parse(pkt.data);
    assert.deepEqual(Object.keys(payload).sort(), ['config', 'roomId', 'timestamp']);
    assert.equal(payload.roomId, room.roomId);
    assert.deepEqual(payload.config, newConfig);
    assert.ok(payload.timestamp >= t0 - 2000 && payload.timestamp <= Date.now() + 2000);

    await s.waitFor(() => JSON.parse(s.lkRoom(room.roomId).room.metadata).roomOptions.config.chat.enabled === false, 5000,
      { label: 'room metadata updated' });
    const meta = JSON.parse(s.lkRoom(room.roomId).room.metadata);
    assert.equal(meta.createdBy, 'openviduMeet');
    assert.deepEqual(meta.roomOptions.config, newConfig);
    assert.equal(meta.roomOptions.roomName, 'Config Room');
  });

  it('no LiveKit room → no signal and no LiveKit room is created', async () => {
    const room = await s.createRoom({ roomName: 'no lk' });
    assertStatus(await s.api.put(`/api/v1/rooms/${room.roomId}/config`, { json: { config: newConfig } }), 200);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.lkRoom(room.roomId), null);
    assert.equal(s.calls('CreateRoom').filter((c) => c.request?.name === room.roomId).length, 0);
    assert.equal(s.calls('SendData').filter((c) => c.request?.room === room.roomId).length, 0);
  });
});

// LiveKit faults (down / slow / 5xx) injected by the emulator, with LIVEKIT_TIMEOUT=1s.
// Spec: reference-api.md §2.2 (503 LiveKit Error), §10.11 #8, §13.1–§13.3 (500 messages);
// convene-deviations.md §3.6 (no leaked reservations, R11), §5.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, assertStatus, decodeJwt, sleep, startStack } from './support/livekit.mjs';

const TIMEOUT_MS = 1000;
const MARGIN_MS = 1500;
const UNAVAILABLE = { error: 'LiveKit Error', message: 'LiveKit is not available' };

let s;

before(async () => {
  s = await startStack({ conveneEnv: { LIVEKIT_TIMEOUT: `${TIMEOUT_MS / 1000}s` } });
});

afterEach(() => {
  s.setFaults({ mode: 'none' });
});

after(async () => {
  await s?.close();
});

async function timed(promise) {
  const t0 = Date.now();
  const res = await promise;
  return { res, ms: Date.now() - t0 };
}

function assertOneOf(res, bodies) {
  assert.ok(
    bodies.some(([status, body]) => res.status === status && JSON.stringify(res.body) === JSON.stringify(body)),
    `HTTP ${res.status} ${res.text} is none of ${JSON.stringify(bodies)}`,
  );
}

async function meeting(names = ['SPK']) {
  const room = await s.createRoom({ roomName: 'faulty' });
  const mod = await s.participant(room, 'MOD', 'moderator');
  await s.join(mod.token);
  const ps = {};
  for (const n of names) {
    ps[n] = await s.participant(room, n, 'speaker');
    await s.join(ps[n].token);
  }
  return { room, mod, ps };
}

describe('Token requests while LiveKit fails', () => {
  it('LiveKit down → 503 LiveKit Error quickly, and the name is not leaked', async () => {
    const room = await s.createRoom({ roomName: 'down' });
    s.setFaults({ mode: 'down' });
    const { res, ms } = await timed(s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Alice' }));
    assertError(res, 503, UNAVAILABLE.error, UNAVAILABLE.message);
    assert.ok(ms < TIMEOUT_MS + MARGIN_MS, `answered in ${ms} ms`);
    s.setFaults({ mode: 'none' });
    const t = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Alice' });
    assert.equal(decodeJwt(t).payload.name, 'Alice', 'granted again without suffix');
  });

  it('many concurrent requests while down → all 503, nothing leaked', async () => {
    const room = await s.createRoom({ roomName: 'down many' });
    s.setFaults({ mode: 'down' });
    const results = await Promise.all(Array.from({ length: 20 }, () =>
      s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Many' })));
    for (const r of results) assertError(r, 503, UNAVAILABLE.error, UNAVAILABLE.message);
    s.setFaults({ mode: 'none' });
    const t = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Many' });
    assert.equal(decodeJwt(t).payload.name, 'Many');
  });

  it('LiveKit slower than LIVEKIT_TIMEOUT → 503 within about the timeout; name not leaked', async () => {
    const room = await s.createRoom({ roomName: 'slow' });
    s.setFaults({ mode: 'slow', delayMs: 4000 });
    const { res, ms } = await timed(s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Bob' }));
    assertError(res, 503, UNAVAILABLE.error, UNAVAILABLE.message);
    assert.ok(ms >= TIMEOUT_MS - 200, `not before the timeout (${ms} ms)`);
    assert.ok(ms < TIMEOUT_MS + MARGIN_MS, `answered in ${ms} ms`);
    s.setFaults({ mode: 'none' });
    const t = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Bob' });
    assert.equal(decodeJwt(t).payload.name, 'Bob');
  });

  it('LIVEKIT_TIMEOUT bounds the whole LiveKit call, retries included (not one timeout per attempt)', async () => {
    // CreateRoom is idempotent and may be retried, but only within the same deadline: with
    // LiveKit 5 s slow the answer comes after ~1× the timeout, well before 2×.
    const room = await s.createRoom({ roomName: 'slow budget' });
    s.setFaults({ mode: 'slow', delayMs: 5000 });
    const { res, ms } = await timed(s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Dora' }));
    assertError(res, 503, UNAVAILABLE.error, UNAVAILABLE.message);
    assert.ok(ms >= TIMEOUT_MS - 200, `not before the timeout (${ms} ms)`);
    assert.ok(ms < TIMEOUT_MS * 1.8, `answered in ${ms} ms, more than 1.8× LIVEKIT_TIMEOUT`);
  });

  it('LiveKit answering 503 → 503 or the reference 500, and the name is not leaked', async () => {
    const room = await s.createRoom({ roomName: 'fivexx' });
    s.setFaults({ mode: 'error5xx' });
    const res = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Carl' });
    assertOneOf(res, [
      [503, UNAVAILABLE],
      [500, { error: 'Internal Server Error', message: `Unexpected error while getting LiveKit room '${room.roomId}'` }],
      [500, { error: 'Internal Server Error', message: 'Unexpected error while creating LiveKit room' }],
    ]);
    s.setFaults({ mode: 'none' });
    const t = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Carl' });
    assert.equal(decodeJwt(t).payload.name, 'Carl');
  });

  it('a token without a name needs no LiveKit: 200 while LiveKit is down', async () => {
    const room = await s.createRoom({ roomName: 'noname down' });
    s.setFaults({ mode: 'down' });
    assertStatus(await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker }), 200);
  });

  it('a failed refresh (LiveKit down) does not take the name away from the joined participant', async () => {
    const { room, ps } = await meeting(['Joined']);
    s.setFaults({ mode: 'down' });
    const res = await s.tokenRequest(
      { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Joined', participantIdentity: ps.Joined.identity },
      { refresh: true, previous: ps.Joined.token },
    );
    assert.ok(res.status === 200 || (res.status === 503 && res.body.error === 'LiveKit Error'), res.text);
    s.setFaults({ mode: 'none' });
    const t = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Joined' });
    assert.equal(decodeJwt(t).payload.name, 'Joined_1', 'Joined is still held by the present participant');
    // …and it can still refresh.
    await s.refresh(
      { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Joined', participantIdentity: ps.Joined.identity },
      ps.Joined.token,
    );
  });
});

describe('Meeting operations while LiveKit fails (§13)', () => {
  it('kick with LiveKit down → 503 LiveKit Error; later kick works', async () => {
    const { room, mod, ps } = await meeting(['K1']);
    s.setFaults({ mode: 'down' });
    const { res, ms } = await timed(s.kick(room.roomId, ps.K1.identity, mod.token));
    assertError(res, 503, UNAVAILABLE.error, UNAVAILABLE.message);
    assert.ok(ms < TIMEOUT_MS + MARGIN_MS, `answered in ${ms} ms`);
    s.setFaults({ mode: 'none' });
    assert.ok(s.lkIdentities(room.roomId).includes(ps.K1.identity));
    assertStatus(await s.kick(room.roomId, ps.K1.identity, mod.token), 200);
  });

  it('kick when RemoveParticipant answers 5xx → 503 or the reference 500 message', async () => {
    const { room, mod, ps } = await meeting(['K2']);
    s.setFaults({ mode: 'error5xx', methods: ['RemoveParticipant'] });
    const res = await s.kick(room.roomId, ps.K2.identity, mod.token);
    assertOneOf(res, [
      [503, UNAVAILABLE],
      [500, { error: 'Internal Server Error', message: `Unexpected error while kicking participant '${ps.K2.identity}' from room '${room.roomId}'` }],
    ]);
    s.setFaults({ mode: 'none' });
    assert.ok(s.lkIdentities(room.roomId).includes(ps.K2.identity), 'still in the room');
  });

  it('role change when UpdateParticipant answers 5xx → 503 or the reference 500 message; no signal sent', async () => {
    const { room, mod, ps } = await meeting(['R1']);
    s.setFaults({ mode: 'error5xx', methods: ['UpdateParticipant'] });
    const res = await s.changeRole(room.roomId, ps.R1.identity, 'moderator', mod.token);
    assertOneOf(res, [
      [503, UNAVAILABLE],
      [500, { error: 'Internal Server Error', message: `Unexpected error while updating metadata for participant '${ps.R1.identity}' in room '${room.roomId}'` }],
    ]);
    s.setFaults({ mode: 'none' });
    assert.equal(s.dataPackets(room.roomId, 'meet_participant_role_updated').length, 0, 'no grant was sent');
    assert.equal(JSON.parse(s.lkParticipant(room.roomId, ps.R1.identity).metadata).selectedRole, 'speaker');
  });

  it('a kick that failed in LiveKit leaves no ban behind: the participant may still refresh', async () => {
    const { room, mod, ps } = await meeting(['K3']);
    s.setFaults({ mode: 'error5xx', methods: ['RemoveParticipant'] });
    const res = await s.kick(room.roomId, ps.K3.identity, mod.token);
    assert.ok(res.status === 500 || res.status === 503, res.text);
    s.setFaults({ mode: 'none' });
    assert.ok(s.lkIdentities(room.roomId).includes(ps.K3.identity), 'still in the room');
    // The kick was reported as failed, so it must not have half-happened (deviations §5.1, §7.2).
    const r = await s.tokenRequest(
      { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'K3', participantIdentity: ps.K3.identity },
      { refresh: true, previous: ps.K3.token },
    );
    assertStatus(r, 200, 'refresh of a participant whose kick failed');
  });

  it('a demotion that failed at UpdateParticipant changes nothing: the moderator keeps its powers', async () => {
    const { room, mod, ps } = await meeting(['T1']);
    const mod2 = await s.participant(room, 'MOD2', 'moderator');
    await s.join(mod2.token);
    s.setFaults({ mode: 'error5xx', methods: ['UpdateParticipant'] });
    const res = await s.changeRole(room.roomId, mod2.identity, 'speaker', mod.token);
    assert.ok(res.status === 500 || res.status === 503, res.text);
    s.setFaults({ mode: 'none' });
    assert.equal(JSON.parse(s.lkParticipant(room.roomId, mod2.identity).metadata).selectedRole, 'moderator');
    assertStatus(await s.kick(room.roomId, ps.T1.identity, mod2.token), 200, 'MOD2 is still a moderator');
  });

  it('a promotion that failed at UpdateParticipant changes nothing: the speaker keeps its access', async () => {
    const { room, mod, ps } = await meeting(['T2']);
    s.setFaults({ mode: 'error5xx', methods: ['UpdateParticipant'] });
    const res = await s.changeRole(room.roomId, ps.T2.identity, 'moderator', mod.token);
    assert.ok(res.status === 500 || res.status === 503, res.text);
    s.setFaults({ mode: 'none' });
    assertStatus(await s.getRoomAs(room.roomId, ps.T2.token, 'speaker'), 200, 'GET room as the speaker it still is');
    const r = await s.tokenRequest(
      { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'T2', participantIdentity: ps.T2.identity },
      { refresh: true, previous: ps.T2.token },
    );
    assertStatus(r, 200);
  });

  it('role change when SendData answers 5xx → 503 or the reference 500 message', async () => {
    const { room, mod, ps } = await meeting(['R2']);
    s.setFaults({ mode: 'error5xx', methods: ['SendData'] });
    const res = await s.changeRole(room.roomId, ps.R2.identity, 'moderator', mod.token);
    assertOneOf(res, [
      [503, UNAVAILABLE],
      [500, { error: 'Internal Server Error', message: `Unexpected error while sending data to LiveKit room '${room.roomId}'` }],
    ]);
  });

  it('role change with LiveKit down → 503 quickly', async () => {
    const { room, mod, ps } = await meeting(['R3']);
    s.setFaults({ mode: 'down' });
    const { res, ms } = await timed(s.changeRole(room.roomId, ps.R3.identity, 'moderator', mod.token));
    assertError(res, 503, UNAVAILABLE.error, UNAVAILABLE.message);
    assert.ok(ms < TIMEOUT_MS + MARGIN_MS, `answered in ${ms} ms`);
  });

  it('end meeting when DeleteRoom fails → 503/500, and the meeting is still active', async () => {
    const { room, mod } = await meeting();
    s.setFaults({ mode: 'error5xx', methods: ['DeleteRoom'] });
    const res = await s.endMeeting(room.roomId, mod.token);
    assertOneOf(res, [
      [503, UNAVAILABLE],
      [500, { error: 'Internal Server Error', message: `Unexpected error while deleting LiveKit room '${room.roomId}'` }],
    ]);
    s.setFaults({ mode: 'none' });
    assert.equal((await s.getRoom(room.roomId)).status, 'active_meeting');
    assert.ok(s.lkRoom(room.roomId));
    assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
    assert.equal((await s.getRoom(room.roomId)).status, 'open');
  });

  it('end meeting with LiveKit slow → 503 within about the timeout', async () => {
    const { room, mod } = await meeting();
    s.setFaults({ mode: 'slow', delayMs: 4000, methods: ['DeleteRoom', 'ListRooms'] });
    const { res, ms } = await timed(s.endMeeting(room.roomId, mod.token));
    assertError(res, 503, UNAVAILABLE.error, UNAVAILABLE.message);
    assert.ok(ms < TIMEOUT_MS + MARGIN_MS, `answered in ${ms} ms`);
    s.setFaults({ mode: 'none' });
    await sleep(3500); // let the delayed DeleteRoom land in the emulator before the next test
    await s.settle();
  });
});

describe('The server keeps serving while LiveKit fails', () => {
  it('GET /health answers at once while token requests wait on a slow LiveKit', async () => {
    const room = await s.createRoom({ roomName: 'health' });
    s.setFaults({ mode: 'slow', delayMs: 3000 });
    const pending = Array.from({ length: 8 }, (_, i) =>
      s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: `H${i}` }));
    await sleep(100);
    for (let i = 0; i < 5; i++) {
      const { res, ms } = await timed(s.health());
      assert.equal(res.status, 200);
      assert.equal(res.text, 'OK');
      assert.ok(ms < 500, `health took ${ms} ms`);
    }
    assertStatus(await s.api.get(`/api/v1/rooms/${room.roomId}`), 200, 'rooms API too');
    const results = await Promise.all(pending);
    for (const r of results) assertError(r, 503, UNAVAILABLE.error, UNAVAILABLE.message);
  });

  it('GET /health while LiveKit is down', async () => {
    s.setFaults({ mode: 'down' });
    const res = await s.health();
    assert.equal(res.status, 200);
    assert.equal(res.text, 'OK');
  });
});

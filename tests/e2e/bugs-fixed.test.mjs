// One regression test per reference bug that Convene fixes (participants, meetings, names,
// LiveKit webhooks). Each assertion would fail against the reference behaviour quoted in its title.
// Spec: reference-api.md §18.2 (B1–B12), §18.3 (R1–R11); convene-deviations.md (all of it).
// Other files test the same fixes in more depth; this file is the checklist.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ROLE_UPDATED_TOPIC,
  assertError,
  assertStatus,
  decodeJwt,
  mintJoinToken,
  nowSeconds,
  signJwt,
  sleep,
  startStack,
  tokenMetadata,
  tokenRoles,
  webhookEvent,
} from './support/livekit.mjs';

const INSUFFICIENT = ['Authorization Error', 'Insufficient permissions to access this resource'];

let s;

before(async () => {
  s = await startStack();
});

after(async () => {
  await s?.close();
});

const moderatorMetadata = (livekitUrl) => JSON.stringify({
  livekitUrl,
  roles: [{ role: 'moderator', permissions: { canRecord: true, canChat: true, canChangeVirtualBackground: true } }],
  selectedRole: 'moderator',
});

async function live(speakers = ['SPK']) {
  const room = await s.createRoom({ roomName: 'bugs' });
  const mod = await s.participant(room, 'MOD', 'moderator');
  await s.join(mod.token);
  const ps = {};
  for (const n of speakers) {
    ps[n] = await s.participant(room, n, 'speaker');
    await s.join(ps[n].token);
  }
  return { room, mod, ps };
}

describe('B1–B4, B12: tokens', () => {
  it('B1: a forged previous token on refresh is refused (reference: copies its moderator role into a signed token)', async () => {
    const { room, ps } = await live(['Eve']);
    // Forged for Eve's real identity: only the signature is wrong.
    const forged = signJwt({
      iss: 'devkey', sub: ps.Eve.identity, name: 'Eve', nbf: 0, exp: nowSeconds() + 3600,
      video: { roomJoin: true, room: room.roomId }, metadata: moderatorMetadata(s.livekitUrl),
    }, { secret: 'guessed' });
    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Eve', participantIdentity: ps.Eve.identity }, { refresh: true, previous: forged }),
      400, 'Participant Error', 'Invalid participant token',
    );
    assert.ok(ps.Eve);
  });

  it('B1: a forged previous token in the cookie on generate grants nothing', async () => {
    const room = await s.createRoom();
    // Forged for an identity the registry records as a moderator: only the signature is wrong.
    const f = await s.participant(room, 'F', 'moderator');
    const forged = signJwt({ iss: 'devkey', sub: f.identity, name: 'F', nbf: 0, exp: nowSeconds() + 3600, video: { roomJoin: true, room: room.roomId }, metadata: moderatorMetadata(s.livekitUrl) }, { secret: 'x' });
    const t = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'F' }, { cookie: forged });
    assert.deepEqual(tokenRoles(t), ['speaker']);
    assert.notEqual(decodeJwt(t).payload.sub, f.identity);
  });

  it("B2: a moderator of room A opening room B with B's speaker secret is only a speaker in B", async () => {
    const a = await s.createRoom({ roomName: 'A' });
    const b = await s.createRoom({ roomName: 'B' });
    const modA = await s.token({ roomId: a.roomId, secret: a.secrets.moderator, participantName: 'Mia' });
    // The same identity is a moderator of B as well: A's token must not prove it in B.
    await s.token({ roomId: b.roomId, secret: b.secrets.moderator, participantName: 'Mia', participantIdentity: decodeJwt(modA).payload.sub });
    const tB = await s.token({ roomId: b.roomId, secret: b.secrets.speaker, participantName: 'Mia' }, { cookie: modA });
    assert.deepEqual(tokenRoles(tB), ['speaker']);
    assertError(await s.endMeeting(b.roomId, tB, 'moderator'), 403, ...INSUFFICIENT);
  });

  it('B3: a demotion removes moderator from the metadata, from refreshed tokens and from the old token', async () => {
    const { room, mod } = await live();
    const boss = await s.participant(room, 'Boss', 'moderator');
    await s.join(boss.token);
    assertStatus(await s.changeRole(room.roomId, boss.identity, 'speaker', mod.token), 200);
    assert.deepEqual(JSON.parse(s.lkParticipant(room.roomId, boss.identity).metadata).roles.map((r) => r.role), ['speaker']);
    assertError(await s.endMeeting(room.roomId, boss.token, 'moderator'), 403, ...INSUFFICIENT);
    const res = await s.tokenRequest(
      { roomId: room.roomId, secret: room.secrets.moderator, participantName: 'Boss', participantIdentity: boss.identity },
      { refresh: true, previous: boss.token },
    );
    if (res.status === 200) assert.ok(!tokenRoles(res.body.token).includes('moderator'), res.text);
    else assert.equal(res.status, 403, res.text);
  });

  it('B3 / §13.4: promotion sends a role grant, never the permanent moderator secret', async () => {
    const { room, mod, ps } = await live(['Pro']);
    assertStatus(await s.changeRole(room.roomId, ps.Pro.identity, 'moderator', mod.token), 200);
    const packets = s.dataPackets(room.roomId, ROLE_UPDATED_TOPIC);
    for (const p of packets) assert.ok(!p.data.includes(room.secrets.moderator), 'the moderator secret never travels');
    const grant = JSON.parse(packets[0].data).secret;
    assert.match(grant, /^rg1\./);
  });

  it('B4: refresh cannot take over another present identity (reference: 200 with the victim identity)', async () => {
    const { room, ps } = await live(['Victim', 'Attacker']);
    assertError(
      await s.tokenRequest(
        { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Victim', participantIdentity: ps.Victim.identity },
        { refresh: true, previous: ps.Attacker.token },
      ),
      403, ...INSUFFICIENT,
    );
  });

  it('B4: generate refuses a caller-chosen identity of a present participant (reference: 200, LiveKit kicks the victim)', async () => {
    const { room, ps } = await live(['Victim2']);
    const victim = ps.Victim2.identity;
    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'X', participantIdentity: victim }),
      409, 'Participant Error', `Participant '${victim}' already exists in room '${room.roomId}'`,
    );
  });

  it('B12: refresh with a name, a valid secret and no identity → 400 No participant identity provided', async () => {
    const { room, ps } = await live(['NoId']);
    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'NoId' }, { refresh: true, previous: ps.NoId.token }),
      400, 'Participant Error', 'No participant identity provided',
    );
  });
});

describe('B7–B11: meetings and webhooks', () => {
  it('B7: a named token nobody uses does not start a meeting (reference: active_meeting at once)', async () => {
    const room = await s.createRoom();
    await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Idle' });
    await s.settle();
    assert.ok(s.lkRoom(room.roomId));
    assert.equal((await s.getRoom(room.roomId)).status, 'open');
  });

  it('B8: a token without a name is refused for a closed room (reference: 200)', async () => {
    const room = await s.createRoom();
    assertStatus(await s.api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } }), 200);
    assertError(await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker }), 409, 'Room Error', `Room '${room.roomId}' is closed and cannot be joined`);
  });

  it('B9: the "others" copy of the role signal is not broadcast when the target is alone', async () => {
    const room = await s.createRoom();
    const mod = await s.participant(room, 'M', 'moderator');
    const solo = await s.participant(room, 'Solo', 'speaker');
    await s.join(solo.token);
    assertStatus(await s.changeRole(room.roomId, solo.identity, 'moderator', mod.token), 200);
    const packets = s.dataPackets(room.roomId, ROLE_UPDATED_TOPIC);
    assert.equal(packets.length, 1);
    assert.equal(packets.filter((p) => p.destinationIdentities.length === 0 && p.destinationSids.length === 0).length, 0);
  });

  it('B10: an unverifiable webhook → 401 (reference: 200)', async () => {
    const room = await s.createRoom();
    const ev = webhookEvent('participant_joined', { room: { sid: 'RM_1', name: room.roomId }, participant: { sid: 'PA_1', identity: 'x', state: 'ACTIVE' } });
    assertStatus(await s.postWebhook(ev, { authorization: 'not-a-jwt' }), 401);
    assert.equal((await s.getRoom(room.roomId)).status, 'open');
  });

  it('B10: a participant_left redelivered after more than 5 s is still processed only once (reference: 5 s lock)', async () => {
    const room = await s.createRoom();
    const first = await s.participant(room, 'Twice', 'speaker');
    await s.join(first.token);
    await s.leave(room.roomId, first.identity);
    const original = s.webhooks({ event: 'participant_left', room: room.roomId }).at(-1);
    // The same holder comes back (its previous token in the cookie): same identity, same name, so
    // that a second processing of the old participant_left would release the name it holds now.
    const second = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Twice' }, { cookie: first.token });
    assert.equal(decodeJwt(second).payload.sub, first.identity);
    assert.equal(decodeJwt(second).payload.name, 'Twice');
    await s.join(second);
    await sleep(5500);
    assertStatus(await s.postWebhook(original.body), 200);
    assert.equal((await s.participant(room, 'Twice', 'speaker')).name, 'Twice_1');
  });

  it('B11: a kicked participant cannot come back with its token (reference: rejoins freely)', async () => {
    const { room, mod, ps } = await live(['Out']);
    assertStatus(await s.kick(room.roomId, ps.Out.identity, mod.token), 200);
    await s.settle();
    await s.tryJoin(ps.Out.token);
    await s.waitFor(() => !s.lkIdentities(room.roomId).includes(ps.Out.identity), 5000, { label: 'removed again' });
  });

  it('B11: end meeting updates the room status itself (reference: waits for room_finished)', async () => {
    const { room, mod } = await live();
    s.emulator.configure({ webhookUrl: null });
    try {
      assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
      assert.equal((await s.getRoom(room.roomId)).status, 'open');
    } finally {
      s.emulator.configure({ webhookUrl: s.webhookUrl });
    }
  });
});

describe('R3, R4, R6, R7, R10, R11: names', () => {
  it('R3: a participant joined with an external token blocks its identity (reference: same name handed out)', async () => {
    const room = await s.createRoom();
    await s.join(await mintJoinToken({ room: room.roomId, identity: 'TEST_PARTICIPANT' }));
    const p = await s.participant(room, 'TEST_PARTICIPANT', 'speaker');
    assert.equal(p.name, 'TEST_PARTICIPANT_1');
  });

  it('R4: a participant_left of another identity does not free a name (reference: release by name)', async () => {
    const { room } = await live(['Kept']);
    const ev = webhookEvent('participant_left', {
      room: { sid: 'RM_1', name: room.roomId },
      participant: { sid: 'PA_2', identity: 'someone-else', name: 'Kept', state: 'DISCONNECTED' },
    });
    assertStatus(await s.postWebhook(ev), 200);
    assert.equal((await s.participant(room, 'Kept', 'speaker')).name, 'Kept_1');
  });

  it('R6: room_finished does not release a name reserved after the room finished (reference: wipes all)', async () => {
    const { room } = await live(['Before']);
    await s.settle();
    // createdAt has 1 s granularity: let a second boundary pass after Before's token was issued.
    await sleep(1000 - (Date.now() % 1000) + 150);
    const finishedAt = nowSeconds(); // after Before's token, before After's
    s.emulator.configure({ webhookUrl: null });
    try {
      await s.roomService().deleteRoom(room.roomId); // webhook lost for now
    } finally {
      s.emulator.configure({ webhookUrl: s.webhookUrl });
    }
    const after = await s.participant(room, 'After', 'speaker'); // issued after the finish
    assert.equal(after.name, 'After');
    // The late room_finished (stamped before the new token) arrives now.
    const ev = webhookEvent('room_finished', { room: { sid: 'RM_1', name: room.roomId }, createdAt: finishedAt });
    assertStatus(await s.postWebhook(ev), 200);
    assert.equal((await s.participant(room, 'After', 'speaker')).name, 'After_1', 'After is still reserved');
    assert.equal((await s.participant(room, 'Before', 'speaker')).name, 'Before', 'the finished meeting released Before');
  });

  it('R7: "[" in a name does not fail the third request (reference: 500)', async () => {
    const room = await s.createRoom();
    const names = [];
    for (let i = 0; i < 3; i++) names.push((await s.participant(room, 'x[1', 'speaker')).name);
    assert.deepEqual(names, ['x[1', 'x[1_1', 'x[1_2']);
  });

  it('R10: 50 simultaneous identical names all succeed (reference: > 21 can fail with 500)', async () => {
    const room = await s.createRoom();
    const res = await Promise.all(Array.from({ length: 50 }, () =>
      s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Same' })));
    assert.deepEqual(res.filter((r) => r.status !== 200).map((r) => r.status), []);
    assert.equal(new Set(res.map((r) => decodeJwt(r.body.token).payload.name)).size, 50);
  });

  it('R11: a reservation is rolled back when a later step fails (reference: leaks)', async () => {
    const room = await s.createRoom();
    s.setFaults({ mode: 'down', methods: ['CreateRoom', 'ListRooms'] });
    try {
      const res = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Leak' });
      assert.ok(res.status >= 500, res.text);
    } finally {
      s.setFaults({ mode: 'none' });
    }
    assert.equal((await s.participant(room, 'Leak', 'speaker')).name, 'Leak');
  });
});

describe('Deviations §2.3, §6.4', () => {
  it('§2.3: a promoted participant does not see moderatorUrl (reference: a moderator token shows it)', async () => {
    const { room, mod, ps } = await live(['Up']);
    assertStatus(await s.changeRole(room.roomId, ps.Up.identity, 'moderator', mod.token), 200);
    const grant = JSON.parse(s.dataPackets(room.roomId, ROLE_UPDATED_TOPIC)[0].data).secret;
    const t = await s.refresh({ roomId: room.roomId, secret: grant, participantName: 'Up', participantIdentity: ps.Up.identity }, ps.Up.token);
    assert.equal(tokenMetadata(t).selectedRole, 'moderator');
    const res = await s.getRoomAs(room.roomId, t, 'moderator');
    assertStatus(res, 200);
    assert.equal('moderatorUrl' in res.body, false);
  });

  it('§6.4: a config update is pushed to the LiveKit room metadata (reference: stale)', async () => {
    const { room } = await live();
    const config = { recording: { enabled: false }, chat: { enabled: false }, virtualBackground: { enabled: false } };
    assertStatus(await s.api.put(`/api/v1/rooms/${room.roomId}/config`, { json: { config } }), 200);
    await s.waitFor(() => JSON.parse(s.lkRoom(room.roomId).room.metadata).roomOptions.config.chat.enabled === false, 5000,
      { label: 'metadata updated' });
  });
});

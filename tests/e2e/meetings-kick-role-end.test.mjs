// Meetings API: end meeting, kick, role change — Convene + the LiveKit emulator.
// Spec: reference-api.md §4.4, §13.1–§13.4, §7.1; Appendix B.4, B.5, B.6 (ported);
// convene-deviations.md §1.5, §2, §4, §5; bugs B3, B9, B11.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ROLE_UPDATED_TOPIC,
  assertError,
  assertStatus,
  assertValidationIncludes,
  decodeJwt,
  openviduPermissions,
  request,
  rolesEntry,
  startStack,
  tokenMetadata,
  tokenRoles,
} from './support/livekit.mjs';

const INSUFFICIENT = ['Authorization Error', 'Insufficient permissions to access this resource'];

let s;

before(async () => {
  s = await startStack();
});

after(async () => {
  await s?.close();
});

/**
 * A live meeting: a room, a moderator MOD (moderator secret) and speakers, all joined.
 * Returns {room, mod, speakers: {name: {token, identity}}}. Identities are minted from the names
 * (`MOD-<suffix>`): participants are addressed by `.identity`, never by their names.
 */
async function meeting(speakerNames = ['SPK'], roomBody = {}) {
  const room = await s.createRoom({ roomName: 'meeting', ...roomBody });
  const mod = await s.participant(room, 'MOD', 'moderator');
  await s.join(mod.token);
  const speakers = {};
  for (const n of speakerNames) {
    speakers[n] = await s.participant(room, n, 'speaker');
    await s.join(speakers[n].token);
  }
  assert.equal((await s.getRoom(room.roomId)).status, 'active_meeting');
  return { room, mod, speakers };
}

function parsePackets(roomId) {
  return s.dataPackets(roomId, ROLE_UPDATED_TOPIC).map((p) => ({ ...p, payload: JSON.parse(p.data) }));
}

describe('End Meeting Tests (B.4, deviations §5.2)', () => {
  it('should remove LiveKit room when ending meeting; the Meet room is open at once, without the webhook', async () => {
    const { room, mod } = await meeting(['A']);
    // Prove that Convene does not rely on room_finished: no webhook reaches it during the call.
    s.emulator.configure({ webhookUrl: null });
    try {
      const res = await s.endMeeting(room.roomId, mod.token);
      assertStatus(res, 200);
      assert.deepEqual(res.body, { message: `Meeting in room '${room.roomId}' ended successfully` });
      assert.equal(s.lkRoom(room.roomId), null, 'the LiveKit room is deleted');
      const got = await s.api.get(`/api/v1/rooms/${room.roomId}`);
      assertStatus(got, 200);
      assert.equal(got.body.status, 'open');
      assert.equal(got.body.meetingEndAction, 'none');
    } finally {
      s.emulator.configure({ webhookUrl: s.webhookUrl });
    }
  });

  it('the later room_finished webhook is a no-op; ending again is idempotent (200)', async () => {
    const { room, mod } = await meeting();
    assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
    await s.settle();
    assert.equal((await s.getRoom(room.roomId)).status, 'open');
    const again = await s.endMeeting(room.roomId, mod.token);
    assertStatus(again, 200);
    assert.deepEqual(again.body, { message: `Meeting in room '${room.roomId}' ended successfully` });
  });

  it('should succeed even if there is not a current meeting for the room', async () => {
    const room = await s.createRoom({ roomName: 'no meeting' });
    const modToken = await s.token({ roomId: room.roomId, secret: room.secrets.moderator });
    const res = await s.endMeeting(room.roomId, modToken);
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: `Meeting in room '${room.roomId}' ended successfully` });
    assert.equal((await s.getRoom(room.roomId)).status, 'open');
  });

  it('should fail with 404 if the room does not exist (after a forced room delete)', async () => {
    const { room, mod } = await meeting();
    const del = await s.api.del(`/api/v1/rooms/${room.roomId}?withMeeting=force`);
    assertStatus(del, 200);
    await s.settle();
    assertError(await s.endMeeting(room.roomId, mod.token), 404, 'Room Error', `Room '${room.roomId}' does not exist`);
  });

  it('a close scheduled during the meeting (PUT status closed → 202) is applied by the end: closed', async () => {
    const { room, mod } = await meeting();
    s.emulator.configure({ webhookUrl: null });
    try {
      const put = await s.api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } });
      assertStatus(put, 202);
      assert.equal(put.body.message, `Room '${room.roomId}' scheduled to be closed when the meeting ends`);
      assert.equal(put.body.room.status, 'active_meeting');
      assert.equal(put.body.room.meetingEndAction, 'close');
      assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
      const got = await s.getRoom(room.roomId);
      assert.equal(got.status, 'closed');
      assert.equal(got.meetingEndAction, 'none');
    } finally {
      s.emulator.configure({ webhookUrl: s.webhookUrl });
    }
  });

  it('a deletion scheduled with withMeeting=when_meeting_ends is applied by the end: deleted', async () => {
    const { room, mod } = await meeting();
    s.emulator.configure({ webhookUrl: null });
    try {
      const del = await s.api.del(`/api/v1/rooms/${room.roomId}?withMeeting=when_meeting_ends`);
      assertStatus(del, 202);
      assert.equal(del.body.successCode, 'room_with_active_meeting_scheduled_to_be_deleted');
      assertStatus(await s.api.get(`/api/v1/rooms/${room.roomId}`), 200);
      assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
      assertError(await s.api.get(`/api/v1/rooms/${room.roomId}`), 404, 'Room Error', `Room '${room.roomId}' does not exist`);
    } finally {
      s.emulator.configure({ webhookUrl: s.webhookUrl });
    }
  });

  it('the participants are disconnected with ROOM_DELETED', async () => {
    const { room, mod } = await meeting(['X']);
    assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
    await s.settle();
    const left = s.webhooks({ event: 'participant_left', room: room.roomId });
    assert.deepEqual(left.map((w) => w.payload.participant.disconnectReason).sort(), ['ROOM_DELETED', 'ROOM_DELETED']);
  });
});

describe('Kick Participant Tests (B.5, deviations §5.1)', () => {
  it('should kick participant from LiveKit room', async () => {
    const { room, mod, speakers } = await meeting(['Victim']);
    const victim = speakers.Victim.identity;
    const res = await s.kick(room.roomId, victim, mod.token);
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: `Participant '${victim}' kicked successfully from room '${room.roomId}'` });
    assert.deepEqual(s.lkIdentities(room.roomId), [mod.identity]);
    await s.settle();
    const left = s.webhooks({ event: 'participant_left', room: room.roomId });
    assert.equal(left.at(-1).payload.participant.disconnectReason, 'PARTICIPANT_REMOVED');
  });

  it('should fail with 404 if participant does not exist', async () => {
    const { room, mod } = await meeting();
    assertError(await s.kick(room.roomId, 'nobody', mod.token), 404, 'Participant Error', `Participant 'nobody' not found in room '${room.roomId}'`);
  });

  it('should fail with 404 if room does not exist', async () => {
    const { room, mod, speakers } = await meeting();
    assertStatus(await s.api.del(`/api/v1/rooms/${room.roomId}?withMeeting=force`), 200);
    await s.settle();
    assertError(await s.kick(room.roomId, speakers.SPK.identity, mod.token), 404, 'Room Error', `Room '${room.roomId}' does not exist`);
  });

  it('the kicked participant cannot refresh (403)', async () => {
    const { room, mod, speakers } = await meeting(['Kicked']);
    assertStatus(await s.kick(room.roomId, speakers.Kicked.identity, mod.token), 200);
    await s.settle();
    const res = await s.tokenRequest(
      { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Kicked', participantIdentity: speakers.Kicked.identity },
      { refresh: true, previous: speakers.Kicked.token },
    );
    assertStatus(res, 403);
    assert.equal(typeof res.body.error, 'string');
    assert.equal(typeof res.body.message, 'string');
  });

  it('a kicked participant rejoining with its old token is removed again (B11)', async () => {
    const { room, mod, speakers } = await meeting(['Back']);
    const back = speakers.Back.identity;
    assertStatus(await s.kick(room.roomId, back, mod.token), 200);
    await s.settle();
    const j = await s.tryJoin(speakers.Back.token);
    assert.equal(j.status, 200, 'LiveKit itself lets the token in (auto-create, still valid)');
    await s.waitFor(() => !s.lkIdentities(room.roomId).includes(back), 5000, { label: 'Convene removes the banned participant' });
    await s.settle();
    assert.deepEqual(s.lkIdentities(room.roomId), [mod.identity]);
    const lefts = s.webhooks({ event: 'participant_left', room: room.roomId }).filter((w) => w.participant === back);
    assert.deepEqual(lefts.map((w) => w.payload.participant.disconnectReason), ['PARTICIPANT_REMOVED', 'PARTICIPANT_REMOVED']);
  });

  it('a kicked moderator loses the moderator routes with its still-valid token', async () => {
    const { room, mod, speakers } = await meeting();
    const mod2 = await s.participant(room, 'MOD2', 'moderator');
    await s.join(mod2.token);
    assertStatus(await s.kick(room.roomId, mod2.identity, mod.token), 200);
    await s.settle();
    assertStatus(await s.kick(room.roomId, mod.identity, mod2.token), 403);
    assertStatus(await s.endMeeting(room.roomId, mod2.token), 403);
    assert.deepEqual(s.lkIdentities(room.roomId), [mod.identity, speakers.SPK.identity].sort());
  });

  it('after a kick, a new token for the same name never yields a token that the ban refuses at join', async () => {
    const { room, mod, speakers } = await meeting(['Kim']);
    const kim = speakers.Kim.identity;
    assertStatus(await s.kick(room.roomId, kim, mod.token), 200);
    await s.settle();
    // Someone (else) asks for the released name "Kim". Admission (deviations §4: "identity not
    // banned") must not issue a token for the banned identity: either a refusal, or another identity.
    const res = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Kim' });
    if (res.status === 200) {
      const { payload } = decodeJwt(res.body.token);
      assert.notEqual(payload.sub, kim, `issued a token for the banned identity '${kim}': ${JSON.stringify(payload)}`);
      await s.join(res.body.token);
      assert.ok(s.lkIdentities(room.roomId).includes(payload.sub), 'the newcomer stays in the meeting');
    } else {
      assert.ok(res.status >= 400 && res.status < 500, res.text);
    }
  });

  it('the ban is lifted once the meeting ends', async () => {
    const { room, mod, speakers } = await meeting(['Later']);
    const later = speakers.Later.identity;
    assertStatus(await s.kick(room.roomId, later, mod.token), 200);
    await s.settle();
    assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
    await s.settle();
    // A new meeting: the old (still valid) token may join again and stays.
    await s.join(speakers.Later.token);
    await s.settle();
    assert.deepEqual(s.lkIdentities(room.roomId), [later]);
    assert.equal((await s.getRoom(room.roomId)).status, 'active_meeting');
    // …and it may refresh.
    const t = await s.refresh(
      { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Later', participantIdentity: later },
      speakers.Later.token,
    );
    assert.equal(decodeJwt(t).payload.sub, later);
  });
});

describe('Update Participant Tests (B.6, deviations §2)', () => {
  it('should update participant role from speaker to moderator (metadata, two signals, grant not the secret)', async () => {
    const { room, mod, speakers } = await meeting(['Sam', 'Other']);
    const sam = speakers.Sam.identity;
    const t0 = Date.now();
    const res = await s.changeRole(room.roomId, sam, 'moderator', mod.token);
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: `Participant '${sam}' role updated to 'moderator'` });

    const p = s.lkParticipant(room.roomId, sam);
    assert.deepEqual(JSON.parse(p.metadata), {
      livekitUrl: s.livekitUrl,
      roles: [rolesEntry('moderator')],
      selectedRole: 'moderator',
    }, 'exactly the new role');

    const packets = parsePackets(room.roomId);
    assert.equal(packets.length, 2, JSON.stringify(packets));
    const [toTarget, toOthers] = packets;
    assert.equal(toTarget.kind, 'RELIABLE');
    assert.deepEqual(toTarget.destinationIdentities, [sam]);
    assert.deepEqual(toTarget.recipients, [sam]);
    assert.deepEqual(Object.keys(toTarget.payload).sort(), ['newRole', 'participantIdentity', 'roomId', 'secret', 'timestamp']);
    assert.equal(toTarget.payload.roomId, room.roomId);
    assert.equal(toTarget.payload.participantIdentity, sam);
    assert.equal(toTarget.payload.newRole, 'moderator');
    assert.equal(typeof toTarget.payload.timestamp, 'number');
    assert.ok(toTarget.payload.timestamp >= t0 - 2000 && toTarget.payload.timestamp <= Date.now() + 2000, 'timestamp in ms');
    assert.equal(typeof toTarget.payload.secret, 'string');
    assert.ok(toTarget.payload.secret.startsWith('rg1.'), `a role grant, got ${toTarget.payload.secret}`);
    assert.notEqual(toTarget.payload.secret, room.secrets.moderator, 'never the permanent moderator secret');
    assert.notEqual(toTarget.payload.secret, room.secrets.speaker);
    assert.ok(!toTarget.payload.secret.includes(room.secrets.moderator));

    assert.equal(toOthers.kind, 'RELIABLE');
    const others = [mod.identity, speakers.Other.identity].sort();
    assert.deepEqual(toOthers.destinationIdentities.sort(), others, 'addressed explicitly to the others');
    assert.deepEqual(toOthers.recipients.sort(), others);
    assert.deepEqual(Object.keys(toOthers.payload).sort(), ['newRole', 'participantIdentity', 'roomId', 'timestamp']);
    assert.equal(toOthers.payload.newRole, 'moderator');
    assert.equal(toOthers.payload.participantIdentity, sam);
  });

  it('no second signal when the target is alone (B9)', async () => {
    const room = await s.createRoom({ roomName: 'alone' });
    const mod = await s.participant(room, 'MOD', 'moderator'); // not joined: acts through the API only
    const solo = await s.participant(room, 'Solo', 'speaker');
    await s.join(solo.token);
    assertStatus(await s.changeRole(room.roomId, solo.identity, 'moderator', mod.token), 200);
    const packets = parsePackets(room.roomId);
    assert.equal(packets.length, 1, `only the target's copy: ${JSON.stringify(packets)}`);
    assert.deepEqual(packets[0].destinationIdentities, [solo.identity]);
    assert.ok(packets.every((p) => p.destinationIdentities.length > 0 || p.destinationSids.length > 0), 'never a broadcast');
  });

  it('the promoted participant refreshes with the grant as secret and gets a moderator token', async () => {
    const { room, mod, speakers } = await meeting(['Pro', 'Victim']);
    assertStatus(await s.changeRole(room.roomId, speakers.Pro.identity, 'moderator', mod.token), 200);
    const grant = parsePackets(room.roomId)[0].payload.secret;
    const t = await s.refresh(
      { roomId: room.roomId, secret: grant, participantName: 'Pro', participantIdentity: speakers.Pro.identity },
      speakers.Pro.token,
    );
    const meta = tokenMetadata(t);
    assert.equal(meta.selectedRole, 'moderator');
    assert.deepEqual(meta.roles, [rolesEntry('moderator')], 'roles are exactly the registry roles');
    assert.equal(decodeJwt(t).payload.sub, speakers.Pro.identity);
    // It works as a moderator token.
    assertStatus(await s.kick(room.roomId, speakers.Victim.identity, t), 200);
  });

  it('GET /internal-api/v1/rooms/{roomId}/roles/{grant} accepts the role grant in place of a secret (deviations §2.2)', async () => {
    const { room, mod, speakers } = await meeting(['Pro4']);
    assertStatus(await s.changeRole(room.roomId, speakers.Pro4.identity, 'moderator', mod.token), 200);
    const grant = parsePackets(room.roomId)[0].payload.secret;
    const roles = await request(s.convene.url, 'GET', `/internal-api/v1/rooms/${room.roomId}/roles/${encodeURIComponent(grant)}`);
    assertStatus(roles, 200);
    assert.equal(roles.body.role, 'moderator');
    assert.deepEqual(roles.body.permissions.openvidu, openviduPermissions('moderator'));
  });

  it("the grant is bound to its identity: another participant's refresh with it gains nothing", async () => {
    const { room, mod, speakers } = await meeting(['Pro2', 'Thief']);
    assertStatus(await s.changeRole(room.roomId, speakers.Pro2.identity, 'moderator', mod.token), 200);
    const grant = parsePackets(room.roomId)[0].payload.secret;
    const res = await s.tokenRequest(
      { roomId: room.roomId, secret: grant, participantName: 'Thief', participantIdentity: speakers.Thief.identity },
      { refresh: true, previous: speakers.Thief.token },
    );
    if (res.status === 200) assert.ok(!tokenMetadata(res.body.token).roles.some((r) => r.role === 'moderator'), res.text);
    else assert.ok(res.status >= 400 && res.status < 500, res.text);
  });

  it('the grant is bound to its room', async () => {
    const { room, mod, speakers } = await meeting(['Pro3']);
    const other = await s.createRoom({ roomName: 'other' });
    assertStatus(await s.changeRole(room.roomId, speakers.Pro3.identity, 'moderator', mod.token), 200);
    const grant = parsePackets(room.roomId)[0].payload.secret;
    assertError(
      await s.tokenRequest({ roomId: other.roomId, secret: grant, participantName: 'Pro3' }),
      400, 'Room Error', `Secret '${grant}' is not recognized for room '${other.roomId}'`,
    );
  });

  it('should update participant role from moderator to speaker; the demotion sticks (B3)', async () => {
    const { room, mod, speakers } = await meeting();
    const boss = await s.participant(room, 'Boss', 'moderator');
    await s.join(boss.token);
    const res = await s.changeRole(room.roomId, boss.identity, 'speaker', mod.token);
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: `Participant '${boss.identity}' role updated to 'speaker'` });
    assert.deepEqual(JSON.parse(s.lkParticipant(room.roomId, boss.identity).metadata), {
      livekitUrl: s.livekitUrl,
      roles: [rolesEntry('speaker')],
      selectedRole: 'speaker',
    }, 'moderator is removed from the metadata');
    const [toTarget] = parsePackets(room.roomId);
    assert.equal(toTarget.payload.newRole, 'speaker');
    assert.ok(toTarget.payload.secret.startsWith('rg1.'));
    assert.notEqual(toTarget.payload.secret, room.secrets.speaker);

    // The old moderator token no longer passes moderator routes.
    assertError(await s.kick(room.roomId, mod.identity, boss.token, 'moderator'), 403, ...INSUFFICIENT);
    assertError(await s.endMeeting(room.roomId, boss.token, 'moderator'), 403, ...INSUFFICIENT);
    assertError(await s.changeRole(room.roomId, boss.identity, 'moderator', boss.token, 'moderator'), 403, ...INSUFFICIENT);
    assert.deepEqual(s.lkIdentities(room.roomId), [boss.identity, mod.identity, speakers.SPK.identity].sort());

    // Refresh, even with the moderator secret it still holds, no longer yields moderator.
    const again = await s.tokenRequest(
      { roomId: room.roomId, secret: room.secrets.moderator, participantName: 'Boss', participantIdentity: boss.identity },
      { refresh: true, previous: boss.token },
    );
    if (again.status === 200) {
      const meta = tokenMetadata(again.body.token);
      assert.ok(!meta.roles.some((r) => r.role === 'moderator'), `roles ${JSON.stringify(meta.roles)}`);
      assert.notEqual(meta.selectedRole, 'moderator');
    } else {
      assert.equal(again.status, 403, again.text);
    }
    // With the speaker grant it refreshes as speaker.
    const asSpeaker = await s.refresh(
      { roomId: room.roomId, secret: toTarget.payload.secret, participantName: 'Boss', participantIdentity: boss.identity },
      boss.token,
    );
    assert.deepEqual(tokenMetadata(asSpeaker).roles, [rolesEntry('speaker')]);
  });

  it('a demoted moderator cannot re-promote itself by generating a new token with the moderator secret', async () => {
    const { room, mod } = await meeting();
    const boss = await s.participant(room, 'Boss2', 'moderator');
    await s.join(boss.token);
    assertStatus(await s.changeRole(room.roomId, boss.identity, 'speaker', mod.token), 200);
    const res = await s.tokenRequest(
      { roomId: room.roomId, secret: room.secrets.moderator, participantName: 'Boss2' },
      { cookie: boss.token },
    );
    // The holder of the previous token keeps its identity (the registry's record of it), and with
    // it the demotion.
    assertStatus(res, 200);
    const { payload } = decodeJwt(res.body.token);
    assert.equal(payload.sub, boss.identity, 'the same holder asking again keeps its identity');
    assert.ok(!tokenRoles(res.body.token).includes('moderator'), `the demoted identity got ${res.text}`);
  });

  it('should fail with 404 if participant does not exist', async () => {
    const { room, mod } = await meeting();
    assertError(await s.changeRole(room.roomId, 'ghost', 'moderator', mod.token), 404, 'Participant Error', `Participant 'ghost' not found in room '${room.roomId}'`);
  });

  it('should fail with 404 if room does not exist', async () => {
    const { room, mod, speakers } = await meeting();
    assertStatus(await s.api.del(`/api/v1/rooms/${room.roomId}?withMeeting=force`), 200);
    await s.settle();
    assertError(await s.changeRole(room.roomId, speakers.SPK.identity, 'moderator', mod.token), 404, 'Room Error', `Room '${room.roomId}' does not exist`);
  });

  it('422 for a bad role (field role, enum message)', async () => {
    const { room, mod, speakers } = await meeting();
    const res = await s.changeRole(room.roomId, speakers.SPK.identity, 'admin', mod.token);
    assertValidationIncludes(res, { field: 'role', message: "Invalid enum value. Expected 'moderator' | 'speaker', received 'admin'" });
    assertValidationIncludes(await s.changeRole(room.roomId, speakers.SPK.identity, undefined, mod.token), { field: 'role', message: 'Required' });
  });

  it('a promoted participant does not see moderatorUrl; a moderator by secret does; a speaker never', async () => {
    const { room, mod, speakers } = await meeting(['Up', 'Down']);
    assertStatus(await s.changeRole(room.roomId, speakers.Up.identity, 'moderator', mod.token), 200);
    const grant = parsePackets(room.roomId)[0].payload.secret;
    const upToken = await s.refresh(
      { roomId: room.roomId, secret: grant, participantName: 'Up', participantIdentity: speakers.Up.identity },
      speakers.Up.token,
    );
    const asPromoted = await s.getRoomAs(room.roomId, upToken, 'moderator');
    assertStatus(asPromoted, 200);
    assert.equal('moderatorUrl' in asPromoted.body, false, 'promoted: no moderatorUrl (deviations §2.3)');
    assert.equal(asPromoted.body.speakerUrl, room.speakerUrl);

    const asMod = await s.getRoomAs(room.roomId, mod.token, 'moderator');
    assertStatus(asMod, 200);
    assert.equal(asMod.body.moderatorUrl, room.moderatorUrl);

    const asSpeaker = await s.getRoomAs(room.roomId, speakers.Down.token, 'speaker');
    assertStatus(asSpeaker, 200);
    assert.equal('moderatorUrl' in asSpeaker.body, false);
    // The moderator by secret, demoted to speaker, no longer sees it either.
    assertStatus(await s.changeRole(room.roomId, mod.identity, 'speaker', upToken), 200);
    const demoted = await s.getRoomAs(room.roomId, mod.token, 'moderator');
    assertStatus(demoted, 403);
  });
});

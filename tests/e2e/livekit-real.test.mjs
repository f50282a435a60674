// What a user does, against the REAL LiveKit server (scripts/livekit-server.sh) with participants
// that join over WebRTC (@livekit/rtc-node) and publish synthetic audio and video: join, unique
// names, role change, kick, end meeting, leave, Convene restart, room deletion, data signals,
// LiveKit room metadata, and LiveKit's own signed webhooks. With CONVENE_E2E_CLUSTER=1 the same
// suite runs against two instances on PostgreSQL + Redis behind the test proxy, which LiveKit's
// webhooks go through too.
//
// Identities are read from the issued tokens (`sub`), never derived from the names.
// Spec: reference-api.md §10.6, §13, §14; convene-deviations.md §2–§6; livekit.md §3–§5.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONFIG_UPDATED_TOPIC,
  ROLE_UPDATED_TOPIC,
  decodeJwt,
  metricTotal,
  openviduPermissions,
  rolesEntry,
} from './support/livekit.mjs';
import { TrackKind, disposeRtc, eventually, startRealStack } from './support/real-livekit.mjs';

let s;

before(async () => {
  s = await startRealStack({
    // Convene's answer to each LiveKit webhook is recorded: a test can wait until an event was
    // applied instead of polling a route that would itself change the state (a token request
    // reserves a name).
    tap: true,
    // Reconciliation is what a restarted instance relies on; a short interval keeps the test short.
    conveneEnv: { MEET_RECONCILE_INTERVAL: '1s' },
    // Long enough that a room created at a token request is still there when the test joins it.
    emptyTimeout: 60,
    departureTimeout: 3,
  });
});

afterEach(async () => {
  await s?.leaveAll();
});

after(async () => {
  await s?.close();
  await disposeRtc();
});

async function status(roomId) {
  return (await s.getRoom(roomId)).status;
}

async function joinedAndActive(room, p) {
  await s.waitAnswered({ event: 'participant_joined', room: room.roomId, identity: p.identity });
  assert.equal(await status(room.roomId), 'active_meeting');
}

/** A room with a joined moderator and joined speakers: {room, mod, speakers: {name: {...p, client}}}. */
async function meeting(speakerNames, roomBody = {}) {
  const room = await s.createRoom({ roomName: 'real meeting', ...roomBody });
  const mod = await s.participant(room, 'Moderator', 'moderator');
  mod.client = await s.join(mod.token);
  const speakers = {};
  for (const name of speakerNames) {
    const p = await s.participant(room, name, 'speaker');
    p.client = await s.join(p.token);
    speakers[name] = p;
  }
  await eventually(async () => (await s.lkIdentities(room.roomId)).length === speakerNames.length + 1,
    { label: 'everyone in the LiveKit room' });
  for (const p of [mod, ...Object.values(speakers)]) {
    await s.waitAnswered({ event: 'participant_joined', room: room.roomId, identity: p.identity });
  }
  return { room, mod, speakers };
}

async function nameFor(room, requested) {
  const res = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: requested });
  assert.equal(res.status, 200, res.text);
  return decodeJwt(res.body.token).payload.name;
}

describe('Joining a meeting over WebRTC', () => {
  it('token with a name → join → participant_joined → active_meeting; LiveKit shows the name', async () => {
    const room = await s.createRoom({ roomName: 'first join' });
    const alice = await s.participant(room, 'Alice');
    assert.equal(alice.name, 'Alice');
    assert.equal(await status(room.roomId), 'open', 'a token alone does not start the meeting');

    alice.client = await s.join(alice.token);
    const joined = await s.waitWebhook({ event: 'participant_joined', room: room.roomId, identity: alice.identity });
    assert.equal(joined.participant.name, 'Alice');
    await joinedAndActive(room, alice);

    // The client publishes its two tracks after connecting; on a loaded machine the second may
    // still be on its way.
    let info;
    const deadline = Date.now() + 10000;
    do {
      info = await s.roomService().getParticipant(room.roomId, alice.identity);
      if (info.tracks.length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    assert.equal(info.name, 'Alice');
    assert.equal(info.identity, alice.identity);
    assert.equal(info.tracks.length, 2, 'the synthetic audio and video tracks are published');
  });

  it('LiveKit room metadata is what the reference writes: {createdBy, roomOptions}', async () => {
    const room = await s.createRoom({ roomName: 'Metadata Room' });
    const p = await s.participant(room, 'Meta');
    p.client = await s.join(p.token);
    const [lk] = await s.roomService().listRooms([room.roomId]);
    assert.ok(lk, 'the LiveKit room exists');
    const meta = JSON.parse(lk.metadata);
    assert.deepEqual(Object.keys(meta), ['createdBy', 'roomOptions']);
    assert.equal(meta.createdBy, 'openviduMeet');
    assert.deepEqual(meta.roomOptions, {
      roomName: 'Metadata Room',
      autoDeletionPolicy: room.autoDeletionPolicy,
      config: room.config,
    });
    // The client reads the same metadata from its JoinResponse.
    assert.deepEqual(JSON.parse(p.client.room.metadata), meta);
  });

  it('a LiveKit room closed before anyone joined is recreated by the join and still gets Convene’s metadata', async () => {
    // LiveKit closes a room nobody joined after its empty timeout (or an operator deletes it); a
    // token issued before stays valid, and LiveKit's auto-create makes a room without metadata.
    const room = await s.createRoom({ roomName: 'Recreated Room' });
    const p = await s.participant(room, 'Late');
    const [before] = await s.roomService().listRooms([room.roomId]);
    const expected = JSON.parse(before.metadata);
    await s.roomService().deleteRoom(room.roomId);
    await s.waitAnswered({ event: 'room_finished', room: room.roomId });

    p.client = await s.join(p.token);
    await joinedAndActive(room, p);
    await eventually(async () => {
      const [lk] = await s.roomService().listRooms([room.roomId]);
      return lk?.metadata ? JSON.parse(lk.metadata) : null;
    }, { label: 'the recreated LiveKit room has metadata' }).then((meta) => assert.deepEqual(meta, expected));
    await eventually(() => p.client.room.metadata && JSON.parse(p.client.room.metadata).createdBy === 'openviduMeet',
      { label: 'the client sees the room metadata' });
  });

  it('two participants named "Alice" get distinct names and identities and receive each other’s audio and video', async () => {
    const room = await s.createRoom({ roomName: 'two alices' });
    const a = await s.participant(room, 'Alice');
    const b = await s.participant(room, 'Alice');
    assert.equal(a.name, 'Alice');
    assert.equal(b.name, 'Alice_1');
    assert.notEqual(a.identity, b.identity);

    a.client = await s.join(a.token);
    b.client = await s.join(b.token);
    const aSees = await a.client.waitSubscribed(b.identity, 2, { timeoutMs: 30000 });
    const bSees = await b.client.waitSubscribed(a.identity, 2, { timeoutMs: 30000 });
    assert.deepEqual(aSees.sort(), [TrackKind.KIND_AUDIO, TrackKind.KIND_VIDEO].sort());
    assert.deepEqual(bSees.sort(), [TrackKind.KIND_AUDIO, TrackKind.KIND_VIDEO].sort());

    const names = Object.fromEntries((await s.roomService().listParticipants(room.roomId)).map((p) => [p.identity, p.name]));
    assert.deepEqual(names, { [a.identity]: 'Alice', [b.identity]: 'Alice_1' });
    assert.equal(a.client.room.remoteParticipants.get(b.identity)?.name, 'Alice_1', 'the client sees the unique name');
  });

  it('leave: the name is taken while present and released once participant_left reached Convene', async () => {
    const room = await s.createRoom({ roomName: 'leaving' });
    const stay = await s.participant(room, 'Bob');
    stay.client = await s.join(stay.token);
    const alice = await s.participant(room, 'Alice');
    alice.client = await s.join(alice.token);
    await joinedAndActive(room, alice);
    assert.equal(await nameFor(room, 'Alice'), 'Alice_1', 'Alice is present');

    await alice.client.leave();
    const left = await s.waitWebhook({ event: 'participant_left', room: room.roomId, identity: alice.identity });
    assert.equal(left.participant.name, 'Alice');
    await s.waitAnswered({ event: 'participant_left', room: room.roomId, identity: alice.identity });
    assert.equal(await nameFor(room, 'Alice'), 'Alice', 'released');
    assert.equal(await status(room.roomId), 'active_meeting', 'Bob is still there');
  });
});

describe('Moderation with real clients', () => {
  it('role change: LiveKit metadata updated (permissions kept), the client sees it, both signals received', async () => {
    const { room, mod, speakers } = await meeting(['Sam', 'Other']);
    const sam = speakers.Sam;
    const res = await s.changeRole(room.roomId, sam.identity, 'moderator', mod.token);
    assert.equal(res.status, 200, res.text);

    const expectedMeta = { roles: [rolesEntry('moderator')], selectedRole: 'moderator' };
    const info = await s.roomService().getParticipant(room.roomId, sam.identity);
    const meta = JSON.parse(info.metadata);
    assert.deepEqual(meta.roles, expectedMeta.roles);
    assert.equal(meta.selectedRole, 'moderator');
    assert.deepEqual(meta.roles[0].permissions, openviduPermissions('moderator'));
    // UpdateParticipant with a permission would replace every flag: the media grants must stay.
    assert.equal(info.permission.canPublish, true);
    assert.equal(info.permission.canSubscribe, true);
    assert.equal(info.permission.canPublishData, true);

    // The promoted participant's own client and the others' clients see the new metadata.
    await eventually(() => JSON.parse(sam.client.metadata() || '{}').selectedRole === 'moderator',
      { label: 'Sam sees its own new metadata' });
    await eventually(() => JSON.parse(mod.client.room.remoteParticipants.get(sam.identity)?.metadata || '{}').selectedRole === 'moderator',
      { label: 'the moderator sees Sam’s new metadata' });

    const toTarget = await sam.client.waitData(ROLE_UPDATED_TOPIC);
    assert.equal(toTarget.from, null, 'sent by the server');
    assert.equal(toTarget.payload.participantIdentity, sam.identity);
    assert.equal(toTarget.payload.newRole, 'moderator');
    assert.equal(toTarget.payload.roomId, room.roomId);
    assert.equal(typeof toTarget.payload.secret, 'string', 'the target gets its way to a moderator token');
    for (const other of [mod, speakers.Other]) {
      const got = await other.client.waitData(ROLE_UPDATED_TOPIC);
      assert.deepEqual(Object.keys(got.payload).sort(), ['newRole', 'participantIdentity', 'roomId', 'timestamp']);
      assert.equal(got.payload.participantIdentity, sam.identity);
    }
    assert.equal(sam.client.data.filter((d) => d.topic === ROLE_UPDATED_TOPIC).length, 1, 'one copy each');
  });

  it('room config update: meet_room_config_updated reaches every client; the room metadata follows', async () => {
    const { room, mod, speakers } = await meeting(['Viewer']);
    const config = { recording: { enabled: false }, chat: { enabled: false }, virtualBackground: { enabled: true } };
    const res = await s.api.put(`/api/v1/rooms/${room.roomId}/config`, { json: { config } });
    assert.equal(res.status, 200, res.text);
    for (const p of [mod, speakers.Viewer]) {
      const got = await p.client.waitData(CONFIG_UPDATED_TOPIC);
      assert.equal(got.payload.roomId, room.roomId);
      assert.deepEqual(got.payload.config, config);
    }
    await eventually(() => JSON.parse(speakers.Viewer.client.room.metadata || '{}').roomOptions?.config?.chat?.enabled === false,
      { label: 'the client sees the new room metadata' });
  });

  it('kick: removed at once; the old token, a refresh and a new token request do not bring the identity back', async () => {
    const { room, mod, speakers } = await meeting(['Victim']);
    const victim = speakers.Victim;
    const res = await s.kick(room.roomId, victim.identity, mod.token);
    assert.equal(res.status, 200, res.text);
    assert.equal(await victim.client.waitDisconnected(), 'PARTICIPANT_REMOVED');
    const left = await s.waitWebhook({ event: 'participant_left', room: room.roomId, identity: victim.identity });
    assert.equal(left.participant.disconnectReason, 'PARTICIPANT_REMOVED');

    // LiveKit itself accepts the still-valid token; Convene removes the banned identity again.
    const back = await s.join(victim.token, { publish: false });
    assert.equal(await back.waitDisconnected({ timeoutMs: 30000 }), 'PARTICIPANT_REMOVED');
    await eventually(async () => !(await s.lkIdentities(room.roomId)).includes(victim.identity),
      { label: 'the banned identity is out of LiveKit' });

    const refresh = await s.tokenRequest(
      { roomId: room.roomId, secret: room.secrets.speaker, participantName: victim.name, participantIdentity: victim.identity },
      { refresh: true, previous: victim.token },
    );
    assert.equal(refresh.status, 403, refresh.text);

    const again = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Victim' });
    if (again.status === 200) {
      assert.notEqual(decodeJwt(again.body.token).payload.sub, victim.identity, 'never a token for the banned identity');
    } else {
      assert.ok(again.status >= 400 && again.status < 500, again.text);
    }
    assert.deepEqual(await s.lkIdentities(room.roomId), [mod.identity]);
  });

  // Generate reads the previous token from the cookie (as the reference frontend sends it): a
  // caller proving it holds the kicked identity is the kicked participant.
  it('kick: a new token request presenting the kicked participant’s own token is refused', async () => {
    const { room, mod, speakers } = await meeting(['Banned']);
    const victim = speakers.Banned;
    assert.equal((await s.kick(room.roomId, victim.identity, mod.token)).status, 200);
    await victim.client.waitDisconnected();
    await s.waitAnswered({ event: 'participant_left', room: room.roomId, identity: victim.identity });
    const again = await s.tokenRequest(
      { roomId: room.roomId, secret: room.secrets.speaker, participantName: victim.name },
      { cookie: victim.token },
    );
    assert.equal(again.status, 403, again.text);
    assert.equal(again.body.message, `Participant '${victim.identity}' was removed from room '${room.roomId}'`);
  });

  it('end meeting: everyone disconnected, the scheduled close applied, tokens refused', async () => {
    const { room, mod, speakers } = await meeting(['One', 'Two']);
    const put = await s.api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } });
    assert.equal(put.status, 202, put.text);
    assert.equal(put.body.room.meetingEndAction, 'close');

    const res = await s.endMeeting(room.roomId, mod.token);
    assert.equal(res.status, 200, res.text);
    for (const p of [mod, speakers.One, speakers.Two]) {
      assert.equal(await p.client.waitDisconnected(), 'ROOM_DELETED', `${p.name} disconnected`);
    }
    const got = await s.getRoom(room.roomId);
    assert.equal(got.status, 'closed');
    assert.equal(got.meetingEndAction, 'none');
    await s.waitWebhook({ event: 'room_finished', room: room.roomId });
    assert.equal(await status(room.roomId), 'closed', 'room_finished changes nothing after the end');
    const token = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Late' });
    assert.equal(token.status, 409, token.text);
  });

  it('room deleted with its meeting (withMeeting=force): participants disconnected, room gone', async () => {
    const { room, speakers } = await meeting(['Guest']);
    const res = await s.api.del(`/api/v1/rooms/${room.roomId}?withMeeting=force`);
    assert.equal(res.status, 200, res.text);
    assert.equal(await speakers.Guest.client.waitDisconnected(), 'ROOM_DELETED');
    assert.equal((await s.api.get(`/api/v1/rooms/${room.roomId}`)).status, 404);
    assert.deepEqual(await s.roomService().listRooms([room.roomId]), []);
  });
});

describe('Convene restart during a meeting', () => {
  it('reconciliation finds the participants: names stay taken, the meeting stays active, kick works', async () => {
    const { room, mod, speakers } = await meeting(['Stayer']);
    const stopped = await s.convene.stop();
    assert.equal(stopped.code, 0);
    await s.convene.restart();
    // The participants never noticed: the media path is LiveKit's.
    assert.equal(speakers.Stayer.client.disconnectReason, null);
    // The pass counter starts anew with the process and counts a pass when it starts; passes never
    // overlap, so a second count means a whole pass ran after the restart. (A token request before
    // it would reserve the name itself and prove nothing.)
    await eventually(async () => ((await metricTotal(s.convene, 'convene_background_runs_total{job="reconcile"}')) ?? 0) >= 2,
      { label: 'a reconciliation pass after the restart' });
    assert.equal(await nameFor(room, 'Stayer'), 'Stayer_1', 'Stayer is known again');
    assert.equal(await status(room.roomId), 'active_meeting');
    const kick = await s.kick(room.roomId, speakers.Stayer.identity, mod.token);
    assert.equal(kick.status, 200, kick.text);
    assert.equal(await speakers.Stayer.client.waitDisconnected(), 'PARTICIPANT_REMOVED');
  });
});

describe('LiveKit’s webhooks', () => {
  it('every delivery is signed as LiveKit signs it (bare JWT, sha256 of the raw body) and Convene refuses a forgery', async () => {
    const room = await s.createRoom({ roomName: 'signed' });
    const p = await s.participant(room, 'Signer');
    p.client = await s.join(p.token);
    const joined = await s.waitWebhook({ event: 'participant_joined', room: room.roomId, identity: p.identity });
    assert.equal(joined.headers['content-type'], 'application/webhook+json');
    assert.ok(!joined.headers.authorization.startsWith('Bearer '), 'a bare JWT');
    for (const w of s.webhooks({ room: room.roomId })) await s.verifyDelivery(w);

    const tampered = joined.raw.replace('"Signer"', '"Mallory"');
    assert.notEqual(tampered, joined.raw);
    assert.equal((await s.postWebhook(tampered, joined.headers.authorization)).status, 401);
    assert.equal((await s.postWebhook(joined.raw, undefined)).status, 401);
  });

  it('a redelivered participant_left (same id) is processed once: it does not release a name held again', async () => {
    const room = await s.createRoom({ roomName: 'dedupe' });
    const keep = await s.participant(room, 'Keeper');
    keep.client = await s.join(keep.token);
    const dup = await s.participant(room, 'Dup');
    dup.client = await s.join(dup.token);
    await s.waitAnswered({ event: 'participant_joined', room: room.roomId, identity: dup.identity });
    await dup.client.leave();
    const left = await s.waitWebhook({ event: 'participant_left', room: room.roomId, identity: dup.identity });
    await s.waitAnswered({ event: 'participant_left', room: room.roomId, identity: dup.identity });

    // The same participant comes back with its token (same identity): the name is its own again.
    dup.client = await s.join(dup.token);
    await s.waitAnswered({ event: 'participant_joined', room: room.roomId, identity: dup.identity, nth: 2 });
    assert.equal(await nameFor(room, 'Dup'), 'Dup_1', 'Dup is taken again');

    // LiveKit redelivers the first participant_left, byte for byte, with its own signature.
    const replay = await s.postWebhook(left.raw, left.headers.authorization);
    assert.equal(replay.status, 200, replay.text);
    assert.equal(await nameFor(room, 'Dup'), 'Dup_2', 'the redelivery released nothing');
  });

  it('scale-out: LiveKit’s deliveries reach both instances through the proxy, each answering 2xx',
    { skip: process.env.CONVENE_E2E_CLUSTER !== '1' && 'only in the scale-out pass' }, async () => {
      const sample = 'convene_http_requests_total{method="POST",route="/livekit/webhook",status="2xx"}';
      for (const [i, instance] of s.convene.instances.entries()) {
        const answered = await metricTotal(instance, sample);
        assert.ok(answered > 0, `instance ${i} answered ${answered} LiveKit webhooks`);
      }
    });

  it('every delivery of an event Convene acts on was answered 200 (as LiveKit logged them)', () => {
    // LiveKit drops a queued event older than 30 s; under load (and behind instances that were
    // restarted) that may happen to events Convene ignores (track_published), never to these.
    const acted = ['room_started', 'room_finished', 'participant_joined', 'participant_left'];
    const lines = s.livekit.logs().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const toConvene = lines.filter((l) => /webhook/.test(l.msg) && String(l.url).startsWith(s.webhookUrl));
    assert.ok(toConvene.length > 0, 'LiveKit logged its deliveries');
    const bad = toConvene.filter((l) => acted.includes(l.event) && (l.msg !== 'sent webhook' || l.statusCode !== 200));
    assert.deepEqual(bad.map((l) => `${l.event} ${l.msg} ${l.statusCode ?? l.error ?? l.reason}`), []);
  });
});

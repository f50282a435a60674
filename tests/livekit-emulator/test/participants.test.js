// Joining fake participants via the test API and managing them through RoomService.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataPacket_Kind, ParticipantInfo_State, TrackSource } from '@livekit/protocol';
import { AccessToken } from 'livekit-server-sdk';
import {
  apiToken, joinToken, nowSeconds, rejectsWith, roomClient, signJwt, startEmu, testApi, twirp,
} from '../support/helpers.js';

const T = { timeout: 10000 };

test('join via the HTTP test API, then list/get participants', T, async (t) => {
  const emu = await startEmu(t);
  const rs = roomClient(emu);
  const token = await joinToken({
    room: 'demo', identity: 'alice', name: 'Alice', metadata: '{"role":"mod"}', attributes: { team: 'a' },
  });
  const joined = await testApi(emu, 'POST', 'join', { token });
  assert.equal(joined.status, 200, joined.text);
  assert.match(joined.json.sid, /^PA_[2-9A-HJ-NP-Za-km-z]{12}$/);
  assert.equal(joined.json.state, 'ACTIVE');
  assert.equal(joined.json.identity, 'alice');
  assert.equal(typeof joined.json.joined_at, 'string');
  // Token grant -> permission: absent canPublish/canSubscribe/canPublishData mean true.
  assert.deepEqual(joined.json.permission, {
    can_subscribe: true, can_publish: true, can_publish_data: true, hidden: false, recorder: false,
    can_publish_sources: [], can_update_metadata: false, agent: false, can_subscribe_metrics: false,
    can_manage_agent_session: false,
  });

  const list = await rs.listParticipants('demo');
  assert.equal(list.length, 1);
  const p = await rs.getParticipant('demo', 'alice');
  assert.equal(p.sid, joined.json.sid);
  assert.equal(p.name, 'Alice');
  assert.equal(p.metadata, '{"role":"mod"}');
  assert.deepEqual(p.attributes, { team: 'a' });
  assert.equal(p.state, ParticipantInfo_State.ACTIVE);
  assert.equal((await rs.listRooms(['demo']))[0].numParticipants, 1);

  // Unknown room => empty list (OSS behaviour); unknown identity/room => not_found.
  assert.deepEqual(await rs.listParticipants('nowhere'), []);
  await rejectsWith(assert, rs.getParticipant('demo', 'bob'), { status: 404, code: 'not_found' });
  await rejectsWith(assert, rs.getParticipant('nowhere', 'alice'), { status: 404, code: 'not_found' });
});

test('permission mapping follows the tri-state token grant', T, async (t) => {
  const emu = await startEmu(t);
  const token = await joinToken({
    room: 'r', identity: 'rec',
    grant: { canPublish: false, canUpdateOwnMetadata: true, hidden: true, recorder: true, canPublishSources: [TrackSource.CAMERA] },
  });
  const p = await emu.join({ token });
  assert.equal(p.permission.can_publish, false);
  assert.equal(p.permission.can_publish_data, false); // defaults to the effective canPublish
  assert.equal(p.permission.can_subscribe, true);
  assert.equal(p.permission.can_update_metadata, true);
  assert.equal(p.permission.hidden, true);
  assert.equal(p.permission.recorder, true);
  assert.deepEqual(p.permission.can_publish_sources, ['CAMERA']);
  assert.equal(emu.snapshot().rooms[0].room.active_recording, true);
});

test('UpdateParticipant: metadata/name kept when empty, attributes merged, permission replaced', T, async (t) => {
  const emu = await startEmu(t);
  const rs = roomClient(emu);
  await emu.join({ token: await joinToken({ room: 'u', identity: 'bob', name: 'Bob', metadata: 'm0', attributes: { a: '1', b: '2' } }) });
  const v0 = (await rs.getParticipant('u', 'bob')).version;

  let p = await rs.updateParticipant('u', 'bob', { metadata: 'm1' });
  assert.equal(p.metadata, 'm1');
  assert.equal(p.name, 'Bob');
  assert.ok(p.version > v0);

  p = await rs.updateParticipant('u', 'bob', { name: 'Robert', attributes: { a: '', c: '3' } });
  assert.equal(p.metadata, 'm1'); // empty metadata => unchanged
  assert.equal(p.name, 'Robert');
  assert.deepEqual(p.attributes, { b: '2', c: '3' });

  p = await rs.updateParticipant('u', 'bob', { permission: { canSubscribe: true } });
  assert.equal(p.permission.canSubscribe, true);
  assert.equal(p.permission.canPublish, false); // the whole permission is replaced
  assert.equal(p.permission.canPublishData, false);

  // What Convene's role update sends: metadata only, attributes {}.
  const raw = await twirp(emu, 'UpdateParticipant', { room: 'u', identity: 'bob', metadata: '{"selectedRole":"speaker"}', attributes: {} }, {
    token: await apiToken({ roomAdmin: true, room: 'u' }),
  });
  assert.equal(raw.status, 200, raw.text);
  assert.equal(raw.json.metadata, '{"selectedRole":"speaker"}');
  assert.deepEqual(raw.json.attributes, { b: '2', c: '3' });

  await rejectsWith(assert, rs.updateParticipant('u', 'bob', { metadata: 'x'.repeat(512 * 1024 + 1) }), {
    status: 400, code: 'invalid_argument', message: /^metadata size exceeds limits 524288$/,
  });
  await rejectsWith(assert, rs.updateParticipant('u', 'nobody', { metadata: 'x' }), { status: 404, code: 'not_found' });
});

test('RemoveParticipant removes; unknown is not_found; the removed one may rejoin', T, async (t) => {
  const emu = await startEmu(t);
  const rs = roomClient(emu);
  const token = await joinToken({ room: 'k', identity: 'carol' });
  await emu.join({ token });
  await rs.removeParticipant('k', 'carol');
  assert.deepEqual(await rs.listParticipants('k'), []);
  await rejectsWith(assert, rs.removeParticipant('k', 'carol'), { status: 404, code: 'not_found' });
  await emu.join({ token });
  assert.equal((await rs.listParticipants('k')).length, 1);
});

test('duplicate identity replaces the old session', T, async (t) => {
  const emu = await startEmu(t);
  const token = await joinToken({ room: 'd', identity: 'dup' });
  const first = await emu.join({ token });
  const second = await emu.join({ token });
  assert.notEqual(first.sid, second.sid);
  const list = await roomClient(emu).listParticipants('d');
  assert.deepEqual(list.map((p) => p.sid), [second.sid]);
  const left = emu.webhookLog({ event: 'participant_left' });
  assert.equal(left.length, 1);
  assert.equal(left[0].payload.participant.disconnectReason, 'DUPLICATE_IDENTITY');
});

test('join validation mirrors /rtc: statuses and plain-text bodies', T, async (t) => {
  const emu = await startEmu(t);
  const cases = [
    [{ token: await new AccessToken('devkey', 'wrong', { identity: 'x' }).toJwt() }, 401, /^invalid token: .*, error: token signature is invalid: signature is invalid$/],
    // A video grant without roomJoin is "permissions denied"; no video grant at all is worded otherwise.
    [{ token: await apiToken({ roomAdmin: true, room: 'r' }) }, 401, /^permissions denied$/],
    [{ token: signJwt({ iss: 'devkey', sub: 'x', exp: nowSeconds() + 60 }) }, 401, /^no permissions to access the room$/],
    [{ token: signJwt({ iss: 'devkey', exp: nowSeconds() + 60, video: { roomJoin: true, room: 'r' } }) }, 400, /^identity cannot be empty$/],
    [{ token: await joinToken({ room: '', identity: 'x' }) }, 400, /^no room name$/],
    [{ token: await joinToken({ room: 'r', identity: 'i'.repeat(257) }) }, 400, /identity length exceeds limits/],
    [{ token: await joinToken({ room: 'r', identity: 'x' }), metadata: 'needs canUpdateOwnMetadata' }, 401, /^no permissions/],
    [{ token: 'garbage' }, 401, /^invalid authorization token$/],
  ];
  for (const [body, status, text] of cases) {
    const res = await testApi(emu, 'POST', 'join', body);
    assert.equal(res.status, status, res.text);
    assert.match(res.contentType, /^text\/plain/);
    assert.match(res.text, text);
  }
  assert.equal(emu.state.rooms.size, 0);

  // /rtc/validate answers the same way without joining.
  const ok = await fetch(`${emu.url}/rtc/validate?access_token=${await joinToken({ room: 'v', identity: 'x' })}`, {
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'success');
  assert.equal(emu.state.rooms.size, 0);
});

test('auto_create off: joining a missing room is 404 unless the token has roomCreate', T, async (t) => {
  const emu = await startEmu(t, { autoCreate: false });
  const res = await testApi(emu, 'POST', 'join', { token: await joinToken({ room: 'none', identity: 'x' }) });
  assert.equal(res.status, 404);
  assert.equal(res.text, 'requested room does not exist');
  const ok = await testApi(emu, 'POST', 'join', { token: await joinToken({ room: 'none', identity: 'x', grant: { roomCreate: true } }) });
  assert.equal(ok.status, 200);
  await roomClient(emu).createRoom({ name: 'made' });
  assert.equal((await testApi(emu, 'POST', 'join', { token: await joinToken({ room: 'made', identity: 'y' }) })).status, 200);
});

test('max_participants is enforced on join; egress participants do not count', T, async (t) => {
  const emu = await startEmu(t);
  await roomClient(emu).createRoom({ name: 'small', maxParticipants: 1 });
  await emu.join({ token: await joinToken({ room: 'small', identity: 'one' }) });
  const full = await testApi(emu, 'POST', 'join', { token: await joinToken({ room: 'small', identity: 'two' }) });
  assert.equal(full.status, 500);
  assert.equal(full.text, 'room has exceeded its max participants');
  // Rejoining with the same identity replaces, so it is allowed.
  assert.equal((await testApi(emu, 'POST', 'join', { token: await joinToken({ room: 'small', identity: 'one' }) })).status, 200);
  const eg = await testApi(emu, 'POST', 'join', {
    token: await joinToken({ room: 'small', identity: 'EG_x', kind: 'egress', grant: { recorder: true, hidden: true } }),
  });
  assert.equal(eg.status, 200, eg.text);
  assert.equal(eg.json.kind, 'EGRESS');
  const room = (await roomClient(emu).listRooms(['small']))[0];
  assert.equal(room.numParticipants, 1);
});

test('leave via the test API; unknown participant is 404', T, async (t) => {
  const emu = await startEmu(t);
  await emu.join({ token: await joinToken({ room: 'l', identity: 'z' }) });
  assert.equal((await testApi(emu, 'POST', 'leave', { room: 'l', identity: 'z' })).status, 200);
  const again = await testApi(emu, 'POST', 'leave', { room: 'l', identity: 'z' });
  assert.equal(again.status, 404);
  assert.equal(again.json.code, 'not_found');
  const left = emu.webhookLog({ event: 'participant_left' })[0].payload.participant;
  assert.equal(left.state, 'DISCONNECTED');
  assert.equal(left.disconnectReason, 'CLIENT_INITIATED');
});

test('SendData records packets and their recipients', T, async (t) => {
  const emu = await startEmu(t);
  const rs = roomClient(emu);
  const a = await emu.join({ token: await joinToken({ room: 's', identity: 'a' }) });
  await emu.join({ token: await joinToken({ room: 's', identity: 'b' }) });
  await emu.join({ token: await joinToken({ room: 's', identity: 'c' }) });
  const enc = (o) => new TextEncoder().encode(JSON.stringify(o));

  await rs.sendData('s', enc({ hello: 1 }), DataPacket_Kind.RELIABLE, { topic: 'meet_room_config_updated' });
  await rs.sendData('s', enc({ to: 'b' }), DataPacket_Kind.RELIABLE, { destinationIdentities: ['b'], topic: 'role' });
  await rs.sendData('s', enc({ to: 'a' }), DataPacket_Kind.LOSSY, { destinationSids: [a.sid] });
  await rs.sendData('s', enc({ both: true }), DataPacket_Kind.RELIABLE, { destinationSids: [a.sid], destinationIdentities: ['c'] });

  const packets = emu.snapshot().rooms[0].dataPackets;
  assert.equal(packets.length, 4);
  assert.deepEqual(packets[0].recipients, ['a', 'b', 'c']);
  assert.equal(packets[0].data, '{"hello":1}');
  assert.equal(packets[0].topic, 'meet_room_config_updated');
  assert.equal(packets[0].kind, 'RELIABLE');
  assert.equal(Buffer.from(packets[0].nonce, 'base64').length, 16);
  assert.deepEqual(packets[1].destinationIdentities, ['b']);
  assert.deepEqual(packets[1].recipients, ['b']);
  assert.equal(packets[2].kind, 'LOSSY');
  assert.equal(packets[2].topic, null);
  assert.deepEqual(packets[2].destinationSids, [a.sid]);
  assert.deepEqual(packets[2].recipients, ['a']);
  assert.deepEqual(packets[3].recipients, ['a', 'c']);
});

test('SendData: nonce must be 16 bytes, duplicates dropped, unknown room is 503', T, async (t) => {
  const emu = await startEmu(t);
  await emu.join({ token: await joinToken({ room: 'n', identity: 'a' }) });
  const token = await apiToken({ roomAdmin: true, room: 'n' });
  const nonce = Buffer.alloc(16, 7).toString('base64');
  const body = { room: 'n', data: Buffer.from('hi').toString('base64'), nonce };
  assert.equal((await twirp(emu, 'SendData', body, { token })).status, 200);
  assert.equal((await twirp(emu, 'SendData', body, { token })).status, 200); // silently dropped
  assert.equal((await twirp(emu, 'SendData', { room: 'n', data: 'aGk=' }, { token })).status, 200); // no nonce is fine

  const short = await twirp(emu, 'SendData', { ...body, nonce: Buffer.alloc(8).toString('base64') }, { token });
  assert.equal(short.status, 400);
  assert.equal(short.json.code, 'invalid_argument');

  const snap = emu.snapshot().rooms[0];
  assert.equal(snap.dataPackets.length, 2);
  assert.equal(snap.droppedDataPackets.length, 1);

  await rejectsWith(assert, roomClient(emu).sendData('missing', new Uint8Array([1]), DataPacket_Kind.RELIABLE), {
    status: 503, code: 'unavailable',
  });
});

test('MutePublishedTrack: nothing is published; unmute needs enable_remote_unmute', T, async (t) => {
  const emu = await startEmu(t);
  const rs = roomClient(emu);
  await emu.join({ token: await joinToken({ room: 'mu', identity: 'a' }) });
  const res = await twirp(emu, 'MutePublishedTrack', { room: 'mu', identity: 'a', trackSid: 'TR_x', muted: true }, {
    token: await apiToken({ roomAdmin: true, room: 'mu' }),
  });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { track: null });
  await rejectsWith(assert, rs.mutePublishedTrack('mu', 'a', 'TR_x', false), { status: 412, code: 'failed_precondition' });
  await rejectsWith(assert, rs.mutePublishedTrack('mu', 'ghost', 'TR_x', true), { status: 503, code: 'unavailable' });
});

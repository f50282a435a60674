// RoomService room methods through the official Node SDK, plus the exact JSON shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_KEY, apiToken, rejectsWith, roomClient, startEmu, twirp } from '../support/helpers.js';

const T = { timeout: 10000 };

test('CreateRoom creates, applies defaults, and is idempotent', T, async (t) => {
  const emu = await startEmu(t);
  const rs = roomClient(emu);

  const room = await rs.createRoom({ name: 'alpha', metadata: '{"createdBy":"convene"}' });
  assert.match(room.sid, /^RM_[2-9A-HJ-NP-Za-km-z]{12}$/);
  assert.equal(room.name, 'alpha');
  assert.equal(room.emptyTimeout, 300); // 0 => server default
  assert.equal(room.departureTimeout, 20);
  assert.equal(room.maxParticipants, 0);
  assert.equal(room.metadata, '{"createdBy":"convene"}');
  assert.equal(room.numParticipants, 0);
  const nowS = BigInt(Math.floor(Date.now() / 1000));
  assert.ok(nowS - room.creationTime <= 2n && room.creationTime <= nowS);
  assert.equal(room.creationTimeMs / 1000n, room.creationTime);
  assert.ok(room.enabledCodecs.some((c) => c.mime === 'audio/opus'));

  // Second call: the same room (same sid), as it is: livekit-server 1.13.5 applies none of the
  // options to an existing room.
  const again = await rs.createRoom({ name: 'alpha', emptyTimeout: 7, maxParticipants: 3, metadata: 'other' });
  assert.equal(again.sid, room.sid);
  assert.equal(again.emptyTimeout, 300);
  assert.equal(again.departureTimeout, 20);
  assert.equal(again.maxParticipants, 0);
  assert.equal(again.metadata, '{"createdBy":"convene"}');
});

test('ListRooms lists all or filters by names; missing names are absent', T, async (t) => {
  const emu = await startEmu(t);
  const rs = roomClient(emu);
  await rs.createRoom({ name: 'a' });
  await rs.createRoom({ name: 'b' });
  assert.deepEqual((await rs.listRooms()).map((r) => r.name).sort(), ['a', 'b']);
  assert.deepEqual((await rs.listRooms(['b', 'nope'])).map((r) => r.name), ['b']);
  assert.deepEqual(await rs.listRooms(['nope']), []);
});

test('DeleteRoom removes the room; unknown room is not_found', T, async (t) => {
  const emu = await startEmu(t);
  const rs = roomClient(emu);
  await rs.createRoom({ name: 'gone' });
  await rs.deleteRoom('gone');
  assert.deepEqual(await rs.listRooms(['gone']), []);
  await rejectsWith(assert, rs.deleteRoom('gone'), { status: 404, code: 'not_found' });
});

test('UpdateRoomMetadata updates (including to ""), unknown room is not_found', T, async (t) => {
  const emu = await startEmu(t);
  const rs = roomClient(emu);
  await rs.createRoom({ name: 'm', metadata: 'one' });
  assert.equal((await rs.updateRoomMetadata('m', 'two')).metadata, 'two');
  assert.equal((await rs.listRooms(['m']))[0].metadata, 'two');
  assert.equal((await rs.updateRoomMetadata('m', '')).metadata, '');
  await rejectsWith(assert, rs.updateRoomMetadata('other', 'x'), { status: 404, code: 'not_found' });
});

test('responses are snake_case with every default and int64 as strings', T, async (t) => {
  const emu = await startEmu(t);
  const token = await apiToken({ roomCreate: true });
  const res = await twirp(emu, 'CreateRoom', { name: 'shape' }, { token });
  assert.equal(res.status, 200);
  assert.equal(res.contentType, 'application/json');
  const room = res.json;
  assert.deepEqual(Object.keys(room).sort(), [
    'active_recording', 'creation_time', 'creation_time_ms', 'departure_timeout', 'empty_timeout',
    'enabled_codecs', 'max_participants', 'metadata', 'name', 'num_participants', 'num_publishers',
    'sid', 'turn_password', 'version',
  ]);
  assert.equal(typeof room.creation_time, 'string');
  assert.equal(typeof room.creation_time_ms, 'string');
  assert.equal(room.empty_timeout, 300);
  assert.equal(room.max_participants, 0);
  assert.equal(room.metadata, '');
  assert.equal(room.active_recording, false);
  assert.equal(room.version, null); // unset message field => null, as Go's protojson
  assert.deepEqual(room.enabled_codecs[0], { mime: 'audio/PCMU', fmtp_line: '' });

  const list = await twirp(emu, 'ListRooms', {}, { token: await apiToken({ roomList: true }) });
  assert.equal(list.status, 200);
  assert.deepEqual(Object.keys(list.json), ['rooms']);
  assert.equal(list.json.rooms[0].name, 'shape');

  const del = await twirp(emu, 'DeleteRoom', { room: 'shape' }, { token });
  assert.equal(del.status, 200);
  assert.deepEqual(del.json, {});
});

test('requests may use proto (snake_case) names and int64 as strings or numbers', T, async (t) => {
  const emu = await startEmu(t);
  const token = await apiToken({ roomCreate: true });
  const res = await twirp(emu, 'CreateRoom', { name: 'snake', empty_timeout: 9, max_participants: 2 }, { token });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.empty_timeout, 9);
  assert.equal(res.json.max_participants, 2);
});

test('CreateRoom validates its arguments', T, async (t) => {
  const emu = await startEmu(t);
  const rs = roomClient(emu);
  await rejectsWith(assert, rs.createRoom({ name: '' }), { status: 400, code: 'invalid_argument' });
  await rejectsWith(assert, rs.createRoom({ name: 'big', metadata: 'x'.repeat(512 * 1024 + 1) }), {
    status: 400,
    code: 'invalid_argument',
    message: /metadata size exceeds limits 524288/,
  });
  await rejectsWith(assert, rs.createRoom({ name: 'x'.repeat(257) }), { status: 400, code: 'invalid_argument' });
  assert.deepEqual(await rs.listRooms(), []);
});

test('calls are logged with method, decoded request, grants and status', T, async (t) => {
  const emu = await startEmu(t);
  const rs = roomClient(emu);
  await rs.createRoom({ name: 'logged', emptyTimeout: 5 });
  await rs.deleteRoom('missing').catch(() => {});
  const calls = emu.callLog();
  assert.equal(calls.length, 2);
  assert.equal(calls[0].method, 'CreateRoom');
  assert.deepEqual(calls[0].request, { name: 'logged', emptyTimeout: 5 });
  assert.equal(calls[0].status, 200);
  assert.equal(calls[0].grants.iss, API_KEY);
  assert.deepEqual(calls[0].grants.video, { roomCreate: true });
  assert.equal(calls[1].method, 'DeleteRoom');
  assert.equal(calls[1].status, 404);
  assert.equal(calls[1].code, 'not_found');
  assert.deepEqual(emu.callLog({ method: 'DeleteRoom' }).map((c) => c.seq), [2]);
});

// Room life cycle: empty and departure timeouts, scaled by --fast / timeScale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DisconnectReason } from '@livekit/protocol';
import { joinToken, roomClient, sleep, startEmu, startReceiver, testApi } from '../support/helpers.js';

const T = { timeout: 15000 };

test('a created room nobody joins closes after emptyTimeout (fast mode)', T, async (t) => {
  const rx = await startReceiver(t);
  const emu = await startEmu(t, { webhookUrl: rx.url }); // 1 s = 20 ms
  const rs = roomClient(emu);
  const started = Date.now();
  await rs.createRoom({ name: 'lonely', emptyTimeout: 10 }); // 200 ms
  await sleep(100);
  assert.equal((await rs.listRooms(['lonely'])).length, 1);
  await rx.waitFor(() => rx.events.some((e) => e.event === 'room_finished'), 3000);
  assert.ok(Date.now() - started >= 190, 'closed too early');
  assert.deepEqual(await rs.listRooms(['lonely']), []);
  assert.deepEqual(rx.events.map((e) => e.event), ['room_started', 'room_finished']);
});

test('default emptyTimeout (300 s) applies when CreateRoom sends 0', T, async (t) => {
  const emu = await startEmu(t);
  await roomClient(emu).createRoom({ name: 'default' });
  const snap = emu.snapshot().rooms[0];
  // 300 emulated seconds at 20 ms each = 6 s after creation.
  assert.equal(snap.closeAt - Number(snap.room.creation_time_ms), 6000);
});

test('after the last participant leaves the room closes after departureTimeout', T, async (t) => {
  const rx = await startReceiver(t);
  const emu = await startEmu(t, { webhookUrl: rx.url });
  const rs = roomClient(emu);
  await rs.createRoom({ name: 'dep', emptyTimeout: 1, departureTimeout: 5 }); // 20 ms / 100 ms
  await emu.join({ token: await joinToken({ room: 'dep', identity: 'a' }) });
  await emu.join({ token: await joinToken({ room: 'dep', identity: 'b' }) });
  await sleep(80); // longer than emptyTimeout: occupied rooms stay open
  assert.equal((await rs.listRooms(['dep'])).length, 1);
  await emu.leave({ room: 'dep', identity: 'a' });
  await sleep(150);
  assert.equal((await rs.listRooms(['dep'])).length, 1, 'b is still there');
  const leftAt = Date.now();
  await emu.leave({ room: 'dep', identity: 'b' });
  await rx.waitFor(() => rx.events.some((e) => e.event === 'room_finished'), 3000);
  assert.ok(Date.now() - leftAt >= 90);
  assert.deepEqual(rx.events.map((e) => e.event), [
    'room_started', 'participant_joined', 'participant_joined', 'participant_left', 'participant_left', 'room_finished',
  ]);
});

test('a rejoin before the departure timeout keeps the room', T, async (t) => {
  const emu = await startEmu(t);
  const rs = roomClient(emu);
  const token = await joinToken({ room: 'back', identity: 'a', });
  await emu.join({ token });
  await emu.setRoomTimeouts({ room: 'back', departureTimeout: 5 }); // 100 ms
  await emu.leave({ room: 'back', identity: 'a' });
  await sleep(40);
  await emu.join({ token });
  await sleep(150);
  assert.equal((await rs.listRooms(['back'])).length, 1);
});

test('only dependent (egress) participants left: the room closes and they are removed', T, async (t) => {
  const emu = await startEmu(t, { departureTimeout: 2 });
  await emu.join({ token: await joinToken({ room: 'eg', identity: 'a' }) });
  await emu.join({ token: await joinToken({ room: 'eg', identity: 'EG_1', kind: 'egress', grant: { recorder: true } }) });
  await emu.leave({ room: 'eg', identity: 'a' });
  await emu.waitFor((api) => api.webhookLog({ event: 'room_finished' }).length === 1, { timeoutMs: 3000 });
  const left = emu.webhookLog({ event: 'participant_left' }).map((e) => [e.participant, e.payload.participant.disconnectReason]);
  assert.deepEqual(left, [['a', 'CLIENT_INITIATED'], ['EG_1', DisconnectReason[DisconnectReason.ROOM_CLOSED]]]);
});

test('timeouts can be overridden through the HTTP test API', T, async (t) => {
  const emu = await startEmu(t, { fast: false, timeScale: 1 }); // real time: 300 s default
  const rs = roomClient(emu);

  const cfg = await testApi(emu, 'POST', 'config', { emptyTimeout: 1, departureTimeout: 1, timeScale: 0.05 });
  assert.equal(cfg.status, 200, cfg.text);
  assert.equal(cfg.json.config.emptyTimeout, 1);
  const room = await rs.createRoom({ name: 'cfg' });
  assert.equal(room.emptyTimeout, 1);
  await emu.waitFor(async () => (await rs.listRooms(['cfg'])).length === 0, { timeoutMs: 2000 });

  // Per-room override of an existing room.
  await testApi(emu, 'POST', 'config', { emptyTimeout: 300 });
  await rs.createRoom({ name: 'per-room' });
  const res = await testApi(emu, 'POST', 'room-timeouts', { room: 'per-room', emptyTimeout: 2 });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.empty_timeout, 2);
  await emu.waitFor(async () => (await rs.listRooms(['per-room'])).length === 0, { timeoutMs: 2000 });

  const bad = await testApi(emu, 'POST', 'config', { emptyTimeout: -1 });
  assert.equal(bad.status, 400);
  const unknown = await testApi(emu, 'POST', 'config', { nonsense: true });
  assert.equal(unknown.status, 400);
});

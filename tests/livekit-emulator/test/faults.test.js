// Fault injection on the Twirp API, and the reset route.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinToken, rejectsWith, roomClient, startEmu, testApi } from '../support/helpers.js';

const T = { timeout: 15000 };

test('down: connections are reset; the SDK sees a transport error', T, async (t) => {
  const emu = await startEmu(t);
  const rs = roomClient(emu);
  const set = await testApi(emu, 'POST', 'faults', { mode: 'down' });
  assert.equal(set.status, 200);
  assert.deepEqual(set.json.faults, { mode: 'down', delayMs: 0, methods: null });
  await assert.rejects(rs.listRooms(), (err) => {
    assert.equal(err.status, undefined); // no HTTP answer at all
    assert.match(err.message, /fetch failed/);
    return true;
  });
  assert.equal(emu.callLog()[0].fault, 'down');
  // The test API itself is never faulted.
  assert.equal((await testApi(emu, 'GET', 'state')).status, 200);
  await testApi(emu, 'POST', 'faults', { mode: 'none' });
  assert.deepEqual(await rs.listRooms(), []);
});

test('slow: answers are delayed by delayMs; a client timeout fires first if shorter', T, async (t) => {
  const emu = await startEmu(t);
  emu.setFaults({ mode: 'slow', delayMs: 300 });
  const started = Date.now();
  assert.deepEqual(await roomClient(emu).listRooms(), []);
  assert.ok(Date.now() - started >= 290);

  emu.setFaults({ mode: 'slow', delayMs: 2000 });
  const impatient = new (await import('livekit-server-sdk')).RoomServiceClient(emu.url, 'devkey', 'secret', { requestTimeout: 0.2 });
  await assert.rejects(impatient.listRooms(), /timeout|aborted/i);
});

test('error5xx: Twirp unavailable 503, optionally only for listed methods', T, async (t) => {
  const emu = await startEmu(t);
  const rs = roomClient(emu);
  emu.setFaults({ mode: 'error5xx', methods: ['CreateRoom'] });
  await rejectsWith(assert, rs.createRoom({ name: 'x' }), { status: 503, code: 'unavailable' });
  assert.deepEqual(await rs.listRooms(), []); // not listed => normal
  emu.setFaults({ mode: 'error5xx' });
  await rejectsWith(assert, rs.listRooms(), { status: 503, code: 'unavailable' });
  const bad = await testApi(emu, 'POST', 'faults', { mode: 'explode' });
  assert.equal(bad.status, 400);
});

test('reset clears rooms, logs, faults and config', T, async (t) => {
  const emu = await startEmu(t);
  await emu.join({ token: await joinToken({ room: 'r', identity: 'a' }) });
  await roomClient(emu).listRooms();
  emu.setFaults({ mode: 'error5xx' });
  emu.configure({ emptyTimeout: 3 });
  const res = await testApi(emu, 'POST', 'reset');
  assert.equal(res.status, 200);
  const state = (await testApi(emu, 'GET', 'state')).json;
  assert.deepEqual(state.rooms, []);
  assert.equal(state.faults.mode, 'none');
  assert.equal(state.config.emptyTimeout, 300);
  assert.deepEqual((await testApi(emu, 'GET', 'calls')).json.calls, []);
  assert.deepEqual((await testApi(emu, 'GET', 'webhooks')).json.webhooks, []);
  assert.deepEqual(await roomClient(emu).listRooms(), []);
});

// The CLI (server.js) as Convene's end-to-end tests run it: a child process on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RoomServiceClient } from 'livekit-server-sdk';
import { joinToken, startReceiver, withTimeout } from '../support/helpers.js';

const SERVER = fileURLToPath(new URL('../server.js', import.meta.url));

/** Spawns server.js and resolves with {child, port, stdout()} once it printed its line. */
function spawnServer(t, args, env = {}) {
  const child = spawn(process.execPath, [SERVER, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 5 s; stderr: ${err}`)), 5000);
    child.on('exit', (code) => reject(new Error(`server exited early (${code}): ${err}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^LIVEKIT_EMULATOR_LISTENING (\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), stdout: () => out, stderr: () => err });
      }
    });
  });
}

async function http(port, method, path, body) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  return { status: res.status, text, json: text.startsWith('{') ? JSON.parse(text) : null };
}

test('server.js: one ready line, Twirp + test API over HTTP, env config, clean SIGTERM', { timeout: 20000 }, async (t) => {
  const rx = await startReceiver(t, { apiKey: 'k1', apiSecret: 's1' });
  const { child, port, stdout } = await spawnServer(t, ['--port', '0', '--fast'], {
    LIVEKIT_API_KEY: 'k1',
    LIVEKIT_API_SECRET: 's1',
    EMULATOR_WEBHOOK_URL: rx.url,
  });
  assert.ok(port > 0);

  const rs = new RoomServiceClient(`http://127.0.0.1:${port}`, 'k1', 's1', { requestTimeout: 5 });
  await rs.createRoom({ name: 'cli' });
  const token = await joinToken({ room: 'cli', identity: 'ann', apiKey: 'k1', apiSecret: 's1' });
  const joined = await http(port, 'POST', '/_test/join', { token });
  assert.equal(joined.status, 200, joined.text);
  assert.equal(joined.json.identity, 'ann');

  const state = await http(port, 'GET', '/_test/state');
  assert.equal(state.json.rooms[0].room.name, 'cli');
  assert.equal(state.json.rooms[0].participants[0].identity, 'ann');
  assert.equal(state.json.config.timeScale, 0.02);

  const calls = await http(port, 'GET', '/_test/calls?method=CreateRoom');
  assert.deepEqual(calls.json.calls.map((c) => [c.method, c.status, c.request.name]), [['CreateRoom', 200, 'cli']]);

  assert.equal((await http(port, 'POST', '/_test/leave', { room: 'cli', identity: 'ann' })).status, 200);
  await rx.waitFor(() => rx.events.some((e) => e.event === 'room_finished'), 5000);
  assert.equal((await http(port, 'POST', '/_test/wait-webhooks', { timeoutMs: 2000 })).status, 200);
  const hooks = await http(port, 'GET', '/_test/webhooks?room=cli');
  assert.deepEqual(hooks.json.webhooks.map((w) => [w.event, w.status]), [
    ['room_started', 'delivered'], ['participant_joined', 'delivered'], ['participant_left', 'delivered'], ['room_finished', 'delivered'],
  ]);
  assert.deepEqual(rx.errors, []);

  assert.equal((await http(port, 'POST', '/_test/reset')).status, 200);
  assert.deepEqual((await http(port, 'GET', '/_test/state')).json.rooms, []);
  assert.equal((await http(port, 'GET', '/_test/nope')).status, 404);

  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.kill('SIGTERM');
  const result = await withTimeout(exited, 5000, 'SIGTERM exit');
  assert.deepEqual(result, { code: 0, signal: null });
  assert.equal(stdout(), `LIVEKIT_EMULATOR_LISTENING ${port}\n`); // exactly one stdout line
});

test('server.js: flags win over env; bad flags exit with status 2', { timeout: 10000 }, async (t) => {
  const { child, port } = await spawnServer(t, ['--port', '0', '--api-key', 'flagkey', '--api-secret', 'flagsecret'], {
    LIVEKIT_API_KEY: 'envkey',
    LIVEKIT_API_SECRET: 'envsecret',
  });
  const ok = new RoomServiceClient(`http://127.0.0.1:${port}`, 'flagkey', 'flagsecret', { requestTimeout: 5 });
  assert.deepEqual(await ok.listRooms(), []);
  const env = new RoomServiceClient(`http://127.0.0.1:${port}`, 'envkey', 'envsecret', { requestTimeout: 5 });
  await assert.rejects(env.listRooms(), (e) => e.status === 401 && e.message === 'invalid API key: envkey');
  child.kill('SIGTERM');

  const bad = spawn(process.execPath, [SERVER, '--bogus'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const code = await new Promise((resolve) => {
    const timer = setTimeout(() => { bad.kill('SIGKILL'); resolve('timeout'); }, 5000);
    bad.on('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.equal(code, 2);
});

// Two Convene instances while their shared engines fail (issue 5): Redis or PostgreSQL crashes
// under load and comes back. Requests that need the missing engine fail fast with 503, the
// instances recover by themselves, and nothing that was acknowledged is lost.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { API_KEY, request } from './support/convene.mjs';
import { decodeJwt, secretsOf, sleep, startStack, waitFor } from './support/livekit.mjs';
import { startPrivateServices } from './support/cluster.mjs';

let engines;
let s;

before(async () => {
  engines = startPrivateServices();
  s = await startStack({ cluster: { services: engines } });
});

after(async () => {
  await s?.close();
  engines?.close();
});

/** Sends `fn(i)` repeatedly from `workers` loops until stopped; records every answer. */
function loadLoop(fn, workers = 8) {
  const answers = [];
  let running = true;
  let i = 0;
  const done = Promise.all(
    Array.from({ length: workers }, async () => {
      while (running) {
        const started = Date.now();
        try {
          const res = await fn(i++);
          answers.push({ status: res.status, ms: Date.now() - started, res });
        } catch (err) {
          answers.push({ status: 0, ms: Date.now() - started, error: err.message });
        }
      }
    }),
  );
  return {
    answers,
    async stop() {
      running = false;
      await done;
    },
  };
}

const api = (method, p, json, timeoutMs = 10000) =>
  request(s.convene.url, method, p, { json, headers: { 'x-api-key': API_KEY }, timeoutMs });

describe('Redis crashes under load and comes back', () => {
  it('token requests fail fast with 503 while it is down, recover after, and no name is handed out twice', async () => {
    const room = (await api('POST', '/api/v1/rooms', { roomName: 'redis-fault' })).body;
    const secret = secretsOf(room).speaker;
    const load = loadLoop((i) =>
      request(s.convene.url, 'POST', '/internal-api/v1/participants/token', {
        json: { roomId: room.roomId, secret, participantName: 'Bob' },
        timeoutMs: 10000,
      }),
    );
    await waitFor(() => load.answers.filter((a) => a.status === 200).length >= 50, 20000, { label: '50 tokens' });
    engines.killRedis();
    await waitFor(() => load.answers.some((a) => a.status === 503), 10000, { label: 'a 503 while Redis is down' });
    await sleep(1000);
    engines.startRedis();
    const resumedFrom = load.answers.length;
    await waitFor(() => load.answers.slice(resumedFrom).filter((a) => a.status === 200).length >= 50, 30000, {
      label: '50 tokens after Redis came back',
    });
    await load.stop();

    const statuses = new Set(load.answers.map((a) => a.status));
    for (const st of statuses) assert.ok([200, 503].includes(st), `unexpected status ${st}`);
    // Fail fast: no request waited long for a Redis that was not there.
    const slowest503 = Math.max(...load.answers.filter((a) => a.status === 503).map((a) => a.ms));
    assert.ok(slowest503 < 5000, `a 503 took ${slowest503} ms`);
    // Every acknowledged name is distinct, across the crash (Redis persisted each reservation).
    const names = load.answers.filter((a) => a.status === 200).map((a) => decodeJwt(a.res.body.token).payload.name.toLowerCase());
    assert.equal(new Set(names).size, names.length, 'a name was handed out twice');
    // Both instances serve again, and one of them leads the background jobs.
    for (const inst of s.convene.instances) {
      await waitFor(async () => (await request(inst.url, 'GET', '/ready')).status === 200, 15000, { label: 'ready again' });
    }
  });
});

describe('PostgreSQL crashes under load and comes back', () => {
  it('room writes fail fast with 503 while it is down, recover after, and every acknowledged room is kept', async () => {
    const acknowledged = [];
    // A request caught by the crash may wait for a pooled connection and then for a connection
    // attempt (statement and connect timeouts, 5 s each) before its 503: 30 s is "never hangs".
    const load = loadLoop(async (i) => {
      const res = await api('POST', '/api/v1/rooms', { roomName: `pg${i}` }, 30000);
      if (res.status === 201) acknowledged.push(res.body.roomId);
      return res;
    });
    await waitFor(() => acknowledged.length >= 50, 20000, { label: '50 rooms' });
    engines.killPostgres();
    await waitFor(() => load.answers.some((a) => a.status === 503), 15000, { label: 'a 503 while PostgreSQL is down' });
    for (const inst of s.convene.instances) {
      await waitFor(async () => (await request(inst.url, 'GET', '/ready')).status === 503, 10000, { label: '/ready says 503' });
    }
    engines.startPostgres();
    const before = acknowledged.length;
    await waitFor(() => acknowledged.length >= before + 50, 45000, { label: '50 rooms after PostgreSQL came back' });
    await load.stop();

    for (const a of load.answers) assert.ok([201, 503].includes(a.status), `unexpected ${a.status} ${a.error ?? a.res?.text ?? ''}`);
    // Each instance recovers by itself (its pool may back off for a moment after the outage) and
    // then reads every acknowledged room; a 404 would be a lost room.
    for (const inst of s.convene.instances) {
      await waitFor(async () => (await request(inst.url, 'GET', '/ready')).status === 200, 15000, {
        label: 'ready again',
      });
      for (const id of acknowledged) {
        const found = await waitFor(async () => {
          const res = await request(inst.url, 'GET', `/api/v1/rooms/${id}`, { headers: { 'x-api-key': API_KEY } });
          assert.notEqual(res.status, 404, `acknowledged room ${id} is missing`);
          return res.status === 200;
        }, 5000, { intervalMs: 50, label: `room ${id} readable` });
        assert.ok(found);
      }
    }
  });
});

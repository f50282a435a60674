// Two Convene instances on one PostgreSQL database and one Redis (issue 5), with the LiveKit
// emulator and a webhook receiver: requests alternate between the instances through a
// round-robin proxy, or go to one instance on purpose.
// Spec: convene-deviations.md §3 (registry), §5.1 (kick), §6.1 (webhook ids shared across
// instances), §8 (outbox); reference-api.md §17.3–17.4 (one instance runs each scheduled task).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { API_KEY, adminSession, apiClient, request } from './support/convene.mjs';
import {
  assertStatus,
  decodeJwt,
  participantHeaders,
  secretsOf,
  signWebhookBody,
  sleep,
  startStack,
  waitFor,
  webhookEvent,
} from './support/livekit.mjs';
import { startWebhookReceiver } from './support/webhook-receiver.mjs';

let s;
let rx;
let a;
let b;
let apiKey = API_KEY; // replaced by the settings test

/** Prometheus sample value of `name{labels}` (0 when absent). */
async function metric(instance, name, labels = '') {
  const res = await request(instance.url, 'GET', '/metrics');
  const line = res.text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}}` : `${name} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Runs `count` calls of `fn(i)` with at most `limit` in flight; returns their results in order. */
async function pool(count, limit, fn) {
  const results = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await fn(i);
      }
    }),
  );
  return results;
}

before(async () => {
  rx = await startWebhookReceiver({ apiKey: API_KEY });
  s = await startStack({
    cluster: true,
    conveneEnv: {
      MEET_INITIAL_WEBHOOK_ENABLED: 'true',
      MEET_INITIAL_WEBHOOK_URL: rx.url,
      MEET_RECONCILE_INTERVAL: '300ms',
      MEET_ROOM_GC_INTERVAL: '300ms',
      MEET_MIN_AUTODELETION_FUTURE: '0s',
    },
  });
  [a, b] = s.convene.instances;
});

after(async () => {
  await s?.close();
  await rx?.close();
});

describe('state is shared', () => {
  it('a room created on one instance is read, listed and deleted on the other', async () => {
    const created = await apiClient(a).post('/api/v1/rooms', { json: { roomName: 'shared' } });
    assertStatus(created, 201);
    const id = created.body.roomId;
    const read = await apiClient(b).get(`/api/v1/rooms/${id}`);
    assertStatus(read, 200);
    // Room links are built from each request's Host, which differs per instance here.
    const withoutLinks = ({ moderatorUrl, speakerUrl, ...rest }) => rest;
    assert.deepEqual(withoutLinks(read.body), withoutLinks(created.body));
    const listed = await apiClient(b).get('/api/v1/rooms?roomName=shared');
    assert.ok(listed.body.rooms.some((r) => r.roomId === id));
    assertStatus(await apiClient(b).del(`/api/v1/rooms/${id}`), 200);
    assertStatus(await apiClient(a).get(`/api/v1/rooms/${id}`), 404);
  });

  it('2 000 concurrent token requests for one name across both instances get 2 000 distinct names', async () => {
    const room = await s.createRoom({ roomName: 'crowd' });
    const secret = secretsOf(room).speaker;
    const targets = [a, b];
    const tokens = await pool(2000, 64, async (i) => {
      const res = await request(targets[i % 2].url, 'POST', '/internal-api/v1/participants/token', {
        json: { roomId: room.roomId, secret, participantName: 'Alice' },
        timeoutMs: 30000,
      });
      assertStatus(res, 200, `request ${i}`);
      return decodeJwt(res.body.token).payload;
    });
    const names = new Set(tokens.map((t) => t.name.toLowerCase()));
    const identities = new Set(tokens.map((t) => t.sub));
    assert.equal(names.size, 2000);
    assert.equal(identities.size, 2000);
    // Lowest free suffixes: Alice, Alice_1 .. Alice_1999, whoever answered.
    for (let i = 1; i < 2000; i++) assert.ok(names.has(`alice_${i}`), `alice_${i}`);
    assert.ok(names.has('alice'));
  });

  it('a settings change on one instance applies on the other', async () => {
    // Logged in on A (the access token is accepted by B too: one signing key per deployment).
    const admin = await adminSession(a);
    const created = await admin.call('POST', '/internal-api/v1/auth/api-keys');
    assertStatus(created, 201);
    const fresh = created.body.key;
    // The old key stops working everywhere, the new one works everywhere.
    await waitFor(async () => (await apiClient(b, { apiKey: API_KEY }).get('/api/v1/rooms')).status === 401, 5000, {
      label: 'instance B drops the replaced API key',
    });
    assertStatus(await apiClient(b, { apiKey: fresh }).get('/api/v1/rooms'), 200);
    // Outgoing webhooks are signed with the new key from now on.
    apiKey = fresh;
    rx.setApiKey(fresh);
  });
});

describe('meetings across instances', () => {
  const key = () => apiKey;

  async function createRoom(instance, body) {
    const res = await apiClient(instance, { apiKey: key() }).post('/api/v1/rooms', { json: body });
    assertStatus(res, 201);
    return res.body;
  }

  async function token(instance, room, name, role) {
    const res = await request(instance.url, 'POST', '/internal-api/v1/participants/token', {
      json: { roomId: room.roomId, secret: secretsOf(room)[role], participantName: name },
    });
    assertStatus(res, 200, `token ${name}`);
    return { token: res.body.token, identity: decodeJwt(res.body.token).payload.sub };
  }

  it('a kick made on one instance is enforced by the other', async () => {
    const room = await createRoom(a, { roomName: 'kick' });
    const mod = await token(a, room, 'Mod', 'moderator');
    const eve = await token(b, room, 'Eve', 'speaker');
    await s.join(mod.token);
    await s.join(eve.token);
    const kicked = await request(
      a.url,
      'DELETE',
      `/internal-api/v1/meetings/${room.roomId}/participants/${encodeURIComponent(eve.identity)}`,
      { headers: participantHeaders(mod.token, 'moderator') },
    );
    assertStatus(kicked, 200);
    await s.settle();
    // Eve's refresh is refused by the other instance ...
    const again = await request(b.url, 'POST', '/internal-api/v1/participants/token/refresh', {
      json: { roomId: room.roomId, secret: secretsOf(room).speaker, participantName: 'Eve', participantIdentity: eve.identity },
      headers: { 'x-participant-token': `Bearer ${eve.token}` },
    });
    assertStatus(again, 403);
    // ... and rejoining with her old token gets her removed again, whichever instance LiveKit's
    // participant_joined webhook reaches (the proxy alternates).
    for (let i = 0; i < 2; i++) {
      await s.tryJoin(eve.token);
      await waitFor(() => !s.lkIdentities(room.roomId).includes(eve.identity), 5000, { label: 'banned participant removed' });
    }
    assert.deepEqual(s.lkIdentities(room.roomId), [mod.identity]);
  });

  it('a LiveKit webhook delivered to both instances takes effect once', async () => {
    const room = await createRoom(a, { roomName: 'dedupe' });
    const mod = await token(a, room, 'Mod', 'moderator');
    s.emulator.configure({ webhookUrl: null }); // this test delivers the webhook itself
    try {
      await s.join(mod.token, { wait: false });
      const event = webhookEvent('participant_joined', {
        room: { sid: 'RM_cluster00001', name: room.roomId, metadata: JSON.stringify({ createdBy: 'openviduMeet', roomOptions: { roomName: 'dedupe' } }) },
        participant: { sid: 'PA_cluster00001', identity: mod.identity, name: 'Mod', state: 'ACTIVE', joinedAt: String(Math.floor(Date.now() / 1000)) },
      });
      const raw = JSON.stringify(event);
      const auth = await signWebhookBody(raw);
      const headers = { 'content-type': 'application/webhook+json', authorization: auth };
      const answers = await Promise.all(
        [a, b, a, b].map((inst) => request(inst.url, 'POST', '/livekit/webhook', { body: raw, headers })),
      );
      for (const res of answers) assertStatus(res, 200);
      const started = await rx.waitForAccepted({ roomId: room.roomId, event: 'meetingStarted' }, 1, 8000);
      await sleep(1000);
      assert.equal(rx.acceptedEvents({ roomId: room.roomId, event: 'meetingStarted' }).length, 1, 'one meetingStarted');
      assert.equal(started.length, 1);
    } finally {
      s.emulator.configure({ webhookUrl: s.webhookUrl });
    }
  });

  it('an event recorded on the instance that is not the leader is still delivered once', async () => {
    const leaders = await Promise.all([a, b].map((i) => metric(i, 'convene_leader')));
    const follower = leaders[0] === 1 ? b : a;
    const room = await createRoom(follower, { roomName: 'follower' });
    const mod = await token(follower, room, 'Mod', 'moderator');
    await s.join(mod.token);
    const ended = await request(follower.url, 'DELETE', `/internal-api/v1/meetings/${room.roomId}`, {
      headers: participantHeaders(mod.token, 'moderator'),
    });
    assertStatus(ended, 200);
    await rx.waitForAccepted({ roomId: room.roomId, event: 'meetingEnded' }, 1, 8000);
    assert.equal(rx.acceptedEvents({ roomId: room.roomId, event: 'meetingEnded' }).length, 1);
  });
});

describe('background jobs', () => {
  it('run on exactly one instance', async () => {
    const runs = () => Promise.all([a, b].map((i) => metric(i, 'convene_background_runs_total', 'job="reconcile"')));
    const before = await runs();
    // A pass may take a while on a loaded machine (the 2 000-name room is reconciled too): wait
    // for a few passes rather than for a fixed time.
    const afterRuns = await waitFor(async () => {
      const now = await runs();
      return now.some((v, i) => v >= before[i] + 3) ? now : null;
    }, 20000, { intervalMs: 100, label: 'three reconciliation passes' });
    const grew = afterRuns.map((v, i) => v > before[i]);
    assert.equal(grew.filter(Boolean).length, 1, `reconcile passes: before ${before}, after ${afterRuns}`);
    const leaders = await Promise.all([a, b].map((i) => metric(i, 'convene_leader')));
    assert.deepEqual([...leaders].sort(), [0, 1]);
    assert.equal(leaders[grew.indexOf(true)], 1, 'the leader runs them');
  });

  it('a leader stopped gracefully (SIGTERM) gives its lease back: the other leads within one attempt, not at expiry', async () => {
    const leaders = await Promise.all([a, b].map((i) => metric(i, 'convene_leader')));
    const leader = leaders[0] === 1 ? a : b;
    const other = leader === a ? b : a;
    s.convene.proxy.targets = [other.url];
    const stoppedAt = Date.now();
    const exit = await leader.stop();
    assert.equal(exit.code, 0, 'graceful exit');
    await waitFor(async () => (await metric(other, 'convene_leader')) === 1, 15000, { intervalMs: 50, label: 'the other instance leads' });
    // The follower tries every lease/3 (3.3 s); an unreleased lease (renewed every 3.3 s) would
    // hold it off for at least 6.7 s after the stop.
    const tookMs = Date.now() - stoppedAt;
    assert.ok(tookMs < 6000, `took over ${tookMs} ms after the stop`);
    await leader.restart();
    s.convene.proxy.targets = [a.url, b.url];
  });
});

describe('metrics', () => {
  it('each instance reports its PostgreSQL pool and Redis connection', async () => {
    for (const inst of [a, b]) {
      assert.equal(await metric(inst, 'convene_redis_connected'), 1);
      assert.ok((await metric(inst, 'convene_postgres_connections_open')) >= 1);
      assert.equal(await metric(inst, 'convene_postgres_waiting'), 0);
    }
  });
});

describe('losing an instance', () => {
  it('killing one instance mid-load loses nothing acknowledged and the other keeps serving', async () => {
    const acknowledged = [];
    let stop = false;
    const load = pool(400, 16, async (i) => {
      if (stop) return;
      try {
        const res = await request(s.convene.url, 'POST', '/api/v1/rooms', {
          json: { roomName: `load${i}` },
          headers: { 'x-api-key': apiKey },
          timeoutMs: 5000,
        });
        if (res.status === 201) acknowledged.push(res.body.roomId);
      } catch {
        // the killed instance's in-flight requests fail: not acknowledged
      }
    });
    await waitFor(() => acknowledged.length >= 50, 20000, { label: '50 rooms created' });
    const leaders = await Promise.all([a, b].map((i) => metric(i, 'convene_leader')));
    const victim = leaders[0] === 1 ? a : b; // kill the leader: the other must take the jobs over
    const survivor = victim === a ? b : a;
    await victim.kill();
    s.convene.proxy.targets = [survivor.url];
    await load;
    stop = true;
    assert.ok(acknowledged.length >= 50);
    const survivorApi = apiClient(survivor, { apiKey });
    for (const id of acknowledged) assertStatus(await survivorApi.get(`/api/v1/rooms/${id}`), 200, id);
    // The survivor becomes the leader once the dead instance's lease runs out.
    await waitFor(async () => (await metric(survivor, 'convene_leader')) === 1, 20000, {
      label: 'the survivor takes the background jobs over',
    });
  });
});

describe('login rate limit', () => {
  it('failed logins count across instances: the sixth attempt is refused by either one', async () => {
    const [live] = s.convene.instances.filter((i) => i.child.exitCode === null && i.child.signalCode === null);
    const targets = s.convene.proxy.targets.map((url) => ({ url }));
    for (let i = 0; i < 5; i++) {
      const res = await request(targets[i % targets.length].url, 'POST', '/internal-api/v1/auth/login', {
        json: { username: 'admin', password: `wrong-${i}` },
      });
      assertStatus(res, 404, `failure ${i}`);
    }
    const refused = await request(live.url, 'POST', '/internal-api/v1/auth/login', {
      json: { username: 'admin', password: 'admin' },
    });
    assertStatus(refused, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
  });
});

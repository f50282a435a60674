// Signed webhooks: received by a local HTTP receiver and verified by the SDK's WebhookReceiver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DisconnectReason, ParticipantInfo_State } from '@livekit/protocol';
import { WebhookReceiver } from 'livekit-server-sdk';
import { deadUrl, joinToken, roomClient, startEmu, startReceiver, testApi } from '../support/helpers.js';

const T = { timeout: 15000 };

function decodeJwtPayload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

test('room_started -> participant_joined -> participant_left -> room_finished, all verified', T, async (t) => {
  const rx = await startReceiver(t);
  const emu = await startEmu(t, { webhookUrl: rx.url });
  const rs = roomClient(emu);

  const room = await rs.createRoom({ name: 'wh', metadata: '{"createdBy":"convene"}' });
  const alice = await emu.join({ token: await joinToken({ room: 'wh', identity: 'alice', name: 'Alice' }) });
  await emu.leave({ room: 'wh', identity: 'alice' });
  // Departure timeout 20 emulated s = 400 ms in fast mode.
  await rx.waitFor(() => rx.events.length >= 4, 5000);

  assert.deepEqual(rx.errors, []);
  assert.deepEqual(rx.events.map((e) => e.event), ['room_started', 'participant_joined', 'participant_left', 'room_finished']);
  for (const e of rx.events) {
    assert.match(e.id, /^EV_[2-9A-HJ-NP-Za-km-z]{12}$/);
    assert.equal(e.room.sid, room.sid);
    assert.equal(e.room.name, 'wh');
    assert.equal(e.room.metadata, '{"createdBy":"convene"}');
    assert.ok(Math.abs(Number(e.createdAt) - Date.now() / 1000) < 5);
  }
  assert.equal(new Set(rx.events.map((e) => e.id)).size, 4);
  const [, joined, left] = rx.events;
  assert.equal(joined.participant.identity, 'alice');
  assert.equal(joined.participant.sid, alice.sid);
  assert.equal(joined.participant.state, ParticipantInfo_State.ACTIVE);
  // The server's room copy in webhooks does not count the participants (refreshed periodically).
  assert.equal(joined.room.numParticipants, 0);
  assert.equal(left.participant.state, ParticipantInfo_State.DISCONNECTED);
  assert.equal(left.participant.disconnectReason, DisconnectReason.CLIENT_INITIATED);

  // Wire format: headers, raw JWT, sha256 claim of the exact body, camelCase sparse body.
  const req = rx.requests[1];
  assert.equal(req.method, 'POST');
  assert.equal(req.headers['content-type'], 'application/webhook+json');
  assert.equal(req.headers['user-agent'], 'Go-http-client/1.1');
  assert.doesNotMatch(req.headers.authorization, /^Bearer /);
  const claims = decodeJwtPayload(req.headers.authorization);
  assert.equal(claims.iss, 'devkey');
  assert.equal(claims.sha256, createHash('sha256').update(req.body).digest('base64'));
  assert.ok(claims.exp - Math.floor(Date.now() / 1000) > 240 && claims.exp - Math.floor(Date.now() / 1000) <= 300);
  assert.equal(claims.sub, undefined);
  assert.equal(claims.video, undefined);
  const body = JSON.parse(req.body);
  assert.equal(body.event, 'participant_joined');
  assert.equal(typeof body.createdAt, 'string');
  assert.equal(body.room.emptyTimeout, 300);
  assert.equal('empty_timeout' in body.room, false);
  assert.equal('activeRecording' in body.room, false); // defaults omitted
  assert.equal(body.participant.disconnectReason, undefined);

  // The delivery log records every attempt and its result.
  await emu.waitForWebhooks(2000);
  const log = emu.webhookLog();
  assert.equal(log.length, 4);
  assert.ok(log.every((e) => e.status === 'delivered' && e.httpStatus === 200 && e.attempts.length === 1));
  assert.deepEqual(log.map((e) => e.payload.event), rx.events.map((e) => e.event));
});

test('a tampered body or another secret is rejected by WebhookReceiver', T, async (t) => {
  const rx = await startReceiver(t);
  const emu = await startEmu(t, { webhookUrl: rx.url });
  await roomClient(emu).createRoom({ name: 'tamper' });
  await rx.waitFor(() => rx.requests.length >= 1);
  const { body, headers } = rx.requests[0];
  const good = new WebhookReceiver('devkey', 'secret');
  assert.equal((await good.receive(body, headers.authorization)).event, 'room_started');
  await assert.rejects(good.receive(body.replace('tamper', 'tampeR'), headers.authorization), /sha256 checksum/);
  await assert.rejects(new WebhookReceiver('devkey', 'other').receive(body, headers.authorization));
  await assert.rejects(new WebhookReceiver('otherkey', 'secret').receive(body, headers.authorization));
});

test('DeleteRoom: participant_left (ROOM_DELETED) for everyone, then room_finished', T, async (t) => {
  const rx = await startReceiver(t);
  const emu = await startEmu(t, { webhookUrl: rx.url });
  await emu.join({ token: await joinToken({ room: 'del', identity: 'a' }) });
  await emu.join({ token: await joinToken({ room: 'del', identity: 'b' }) });
  await roomClient(emu).deleteRoom('del');
  await rx.waitFor(() => rx.events.length >= 6);
  assert.deepEqual(rx.events.map((e) => e.event), [
    'room_started', 'participant_joined', 'participant_joined', 'participant_left', 'participant_left', 'room_finished',
  ]);
  for (const e of rx.events.slice(3, 5)) assert.equal(e.participant.disconnectReason, DisconnectReason.ROOM_DELETED);
  assert.equal(rx.events[5].room.numParticipants, 0);
});

test('deliveries are retried with backoff on 5xx and connection errors; results are logged', T, async (t) => {
  // The receiver fails the first two attempts with 503.
  const rx = await startReceiver(t, { respond: (_req, n) => (n < 2 ? 503 : 200) });
  const emu = await startEmu(t, { webhookUrl: rx.url });
  await roomClient(emu).createRoom({ name: 'retry' });
  await emu.waitForWebhooks(5000);
  assert.equal(rx.requests.length, 3);
  assert.equal(rx.events.length, 1);
  const [entry] = emu.webhookLog();
  assert.equal(entry.status, 'delivered');
  assert.deepEqual(entry.attempts.map((a) => a.status), [503, 503, 200]);
  // Backoff 1 s then 2 s, scaled by the fast time scale (0.02): 20 ms then 40 ms.
  assert.ok(entry.attempts[1].at - entry.attempts[0].at >= 19);
  assert.ok(entry.attempts[2].at - entry.attempts[1].at >= 39);

  // A receiver that is not there: every attempt fails, the event ends as failed.
  await emu.configure({ webhookUrl: await deadUrl(), webhookRetries: 2 });
  await roomClient(emu).deleteRoom('retry');
  await emu.waitForWebhooks(5000);
  const failed = emu.webhookLog({ event: 'room_finished' })[0];
  assert.equal(failed.status, 'failed');
  assert.equal(failed.attempts.length, 3);
  assert.ok(failed.attempts.every((a) => a.status === null && /ECONNREFUSED/.test(a.error)));

  // 4xx is final and not retried (like the server's retry policy).
  const rx4 = await startReceiver(t, { respond: () => 400 });
  await emu.configure({ webhookUrl: rx4.url });
  await roomClient(emu).createRoom({ name: 'four' });
  await emu.waitForWebhooks(5000);
  assert.equal(rx4.requests.length, 1);
  assert.equal(emu.webhookLog({ room: 'four' })[0].httpStatus, 400);
});

test('events of one room are delivered one at a time, in order, even while retrying', T, async (t) => {
  let inFlight = 0;
  let maxInFlight = 0;
  const rx = await startReceiver(t, {
    respond: (_req, n) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setImmediate(() => inFlight--);
      return n === 0 ? 500 : 200; // the first event needs a retry
    },
  });
  const emu = await startEmu(t, { webhookUrl: rx.url });
  for (let i = 0; i < 5; i++) await emu.join({ token: await joinToken({ room: 'order', identity: `p${i}` }) });
  await emu.waitForWebhooks(5000);
  assert.deepEqual(rx.events.map((e) => e.event === 'room_started' ? 'started' : e.participant.identity), [
    'started', 'p0', 'p1', 'p2', 'p3', 'p4',
  ]);
  assert.equal(maxInFlight, 1);
});

test('no webhook URL: events are still logged, as skipped', T, async (t) => {
  const emu = await startEmu(t);
  await roomClient(emu).createRoom({ name: 'quiet' });
  const res = await testApi(emu, 'GET', 'webhooks');
  assert.equal(res.status, 200);
  assert.equal(res.json.webhooks.length, 1);
  assert.equal(res.json.webhooks[0].status, 'skipped');
  assert.equal(res.json.webhooks[0].payload.event, 'room_started');
});

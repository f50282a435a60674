// Outgoing webhooks (meetingStarted / meetingEnded): when they fire, what they carry, how they are
// signed, and the per-room order — Convene + the LiveKit emulator + a customer receiver that
// verifies signatures as OpenVidu Meet's documentation says.
// Spec: reference-api.md §16, §14.3, §7.1, §7.3, §8; convene-deviations.md §5.2, §6.2, §8.
// Failures, retries and restarts: webhooks-resilience.test.mjs. Configuration: webhooks-config.test.mjs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API_KEY, assertStatus, metricTotal, sleep, startStack } from './support/livekit.mjs';
import { DOCS_MAX_WEBHOOK_AGE_MS, startWebhookReceiver, verifyWebhook, webhookSignature } from './support/webhook-receiver.mjs';

const BASE_URL = 'https://meet.example.test';
const BODY_KEYS = ['event', 'creationDate', 'data'];
// How long "nothing is sent" is watched for. A delivery normally arrives within a few ms of the
// state change (the worker is woken by the commit), so this is ample.
const QUIET_MS = 1500;

let s;
let rx;

before(async () => {
  rx = await startWebhookReceiver({ apiKey: API_KEY });
  s = await startStack({
    conveneEnv: {
      MEET_INITIAL_WEBHOOK_ENABLED: 'true',
      MEET_INITIAL_WEBHOOK_URL: rx.url,
      MEET_BASE_URL: BASE_URL,
      // For the auto-deletion case: the collector runs often, dates may be near.
      MEET_ROOM_GC_INTERVAL: '300ms',
      MEET_MIN_AUTODELETION_FUTURE: '0s',
      // For the lost room_finished case (deviations §6.3).
      MEET_RECONCILE_INTERVAL: '500ms',
    },
  });
});

after(async () => {
  await s?.close();
  await rx?.close();
});

/** A room with a joined moderator MOD: {room, mod}. */
async function meeting(roomBody = {}, name = 'MOD') {
  const room = await s.createRoom({ roomName: 'wh', ...roomBody });
  const mod = await s.participant(room, name, 'moderator');
  await s.join(mod.token);
  return { room, mod };
}

/** The one accepted delivery of `event` for a room (waits for it). */
async function accepted(roomId, event, timeoutMs = 8000) {
  const [d] = await rx.waitForAccepted({ roomId, event }, 1, timeoutMs);
  return d;
}

/** Every check a delivery must pass whatever its event (reference §16, deviations §8). */
function assertWellFormed(d) {
  const where = `delivery #${d.seq} (${d.event} ${d.roomId})`;
  assert.equal(d.method, 'POST', where);
  assert.equal(d.path, '/hook', `${where}: posted to the configured URL's path`);
  assert.match(d.headers['content-type'] ?? '', /^application\/json\b/, where);
  assert.equal(d.parseError, null, `${where}: body is JSON`);
  assert.deepEqual(Object.keys(d.json), BODY_KEYS, `${where}: body keys in this order`);
  assert.equal(typeof d.json.creationDate, 'number', where);
  // A first attempt is stamped with the creationDate; a retry with its own sending time
  // (so receivers that reject old timestamps accept it), never earlier than the event.
  assert.match(d.timestamp ?? '', /^\d+$/, `${where}: X-Timestamp in ms`);
  assert.ok(Number(d.timestamp) >= d.json.creationDate, `${where}: X-Timestamp not before the creationDate`);
  assert.ok(d.verified, `${where}: signature verifies over the raw body (${d.verifyError})`);
  assert.ok(d.reserializedMatches, `${where}: JSON.stringify(JSON.parse(body)) reproduces the raw body (the docs' Node snippet signs that)`);
  assert.match(d.webhookId ?? '', /^\S{8,200}$/, `${where}: X-Webhook-Id present`);
}

describe('the receiver verifies what it should and rejects what it should (self-check)', () => {
  it('accepts only lowercase hex HMAC-SHA256 of `${ts}.${raw body}` with the API key', () => {
    const raw = Buffer.from('{"event":"meetingStarted","creationDate":1700000000000,"data":{"roomId":"r"}}');
    const ts = '1700000000000';
    const sig = webhookSignature(API_KEY, ts, raw);
    assert.equal(verifyWebhook({ apiKey: API_KEY, timestamp: ts, signature: sig, rawBody: raw }).verified, true);
    assert.equal(verifyWebhook({ apiKey: 'other', timestamp: ts, signature: sig, rawBody: raw }).verified, false, 'wrong key');
    assert.equal(verifyWebhook({ apiKey: API_KEY, timestamp: '1700000000001', signature: sig, rawBody: raw }).verified, false, 'other timestamp');
    assert.equal(verifyWebhook({ apiKey: API_KEY, timestamp: ts, signature: sig, rawBody: Buffer.from(` ${raw}`) }).verified, false, 'other bytes');
    assert.equal(verifyWebhook({ apiKey: API_KEY, timestamp: ts, signature: sig.toUpperCase(), rawBody: raw }).verified, false, 'uppercase hex');
    assert.equal(verifyWebhook({ apiKey: API_KEY, timestamp: ts, signature: sig.slice(2), rawBody: raw }).verified, false, 'truncated');
    assert.equal(verifyWebhook({ apiKey: API_KEY, timestamp: ts, signature: undefined, rawBody: raw }).verified, false, 'missing');
  });
});

describe('meetingStarted (reference §16; deviations §6.2)', () => {
  it('is not sent for a token request (which creates the LiveKit room), only when the first participant joins', async () => {
    const room = await s.createRoom({ roomName: 'started' });
    const mod = await s.participant(room, 'MOD', 'moderator');
    await s.settle(); // the emulator's room_started for the room created by the token request
    await sleep(QUIET_MS);
    assert.deepEqual(rx.select({ roomId: room.roomId }), [], 'nothing before anybody joins');
    assert.equal((await s.getRoom(room.roomId)).status, 'open');

    const t0 = Date.now();
    await s.join(mod.token);
    const d = await accepted(room.roomId, 'meetingStarted');
    const t1 = Date.now();
    assertWellFormed(d);
    assert.ok(d.json.creationDate >= t0 - 5 && d.json.creationDate <= t1 + 5, `creationDate ${d.json.creationDate} within the join [${t0}, ${t1}]`);
    const current = await s.getRoom(room.roomId);
    assert.equal(current.status, 'active_meeting');
    assert.deepEqual(d.json.data, current, 'data = the MeetRoom, exactly as GET /api/v1/rooms/{id} shows it');
    assert.deepEqual(Object.keys(d.json.data), Object.keys(current), 'same key order as the API');
    assert.equal(d.json.data.moderatorUrl, `${BASE_URL}/room/${room.roomId}?secret=${room.secrets.moderator}`, 'links use MEET_BASE_URL');
    assert.ok(d.fresh, `arrived ${d.ageMs} ms after its X-Timestamp (< ${DOCS_MAX_WEBHOOK_AGE_MS})`);

    // A second participant does not start the meeting again.
    const spk = await s.participant(room, 'SPK', 'speaker');
    await s.join(spk.token);
    await sleep(QUIET_MS);
    assert.equal(rx.select({ roomId: room.roomId }).length, 1, 'one delivery only');
  });
});

describe('meetingEnded (reference §16, §7.1; deviations §5.2, §6.2)', () => {
  it('end meeting → meetingEnded at once with status open; the later room_finished sends nothing more', async () => {
    const { room, mod } = await meeting({ roomName: 'ended' });
    await accepted(room.roomId, 'meetingStarted');
    s.emulator.configure({ webhookUrl: null }); // prove the event does not wait for room_finished
    let d;
    try {
      assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
      d = await accepted(room.roomId, 'meetingEnded');
    } finally {
      s.emulator.configure({ webhookUrl: s.webhookUrl });
    }
    assertWellFormed(d);
    const current = await s.getRoom(room.roomId);
    assert.equal(current.status, 'open');
    assert.equal(current.meetingEndAction, 'none');
    assert.deepEqual(d.json.data, current);
    await s.settle();
    await sleep(QUIET_MS);
    assert.deepEqual(rx.select({ roomId: room.roomId }).map((x) => x.event), ['meetingStarted', 'meetingEnded']);
  });

  it('a close scheduled during the meeting (PUT status closed → 202) → meetingEnded with status closed', async () => {
    const { room, mod } = await meeting({ roomName: 'closing' });
    await accepted(room.roomId, 'meetingStarted');
    const put = await s.api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } });
    assertStatus(put, 202);
    assert.equal(put.body.room.meetingEndAction, 'close');
    await sleep(300);
    assert.equal(rx.select({ roomId: room.roomId }).length, 1, 'scheduling the close sends nothing');
    assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
    const d = await accepted(room.roomId, 'meetingEnded');
    assertWellFormed(d);
    const current = await s.getRoom(room.roomId);
    assert.equal(current.status, 'closed');
    assert.equal(current.meetingEndAction, 'none');
    assert.deepEqual(d.json.data, current);
  });

  it('forced delete (DELETE ?withMeeting=force) → meetingEnded with the room as it was, meetingEndAction delete', async () => {
    const { room } = await meeting({ roomName: 'forced' });
    await accepted(room.roomId, 'meetingStarted');
    const before = await s.getRoom(room.roomId);
    const del = await s.api.del(`/api/v1/rooms/${room.roomId}?withMeeting=force`);
    assertStatus(del, 200);
    assert.equal(del.body.successCode, 'room_with_active_meeting_deleted');
    const d = await accepted(room.roomId, 'meetingEnded');
    assertWellFormed(d);
    assert.deepEqual(d.json.data, { ...before, meetingEndAction: 'delete' }, 'status active_meeting, action delete (reference §16)');
    assertStatus(await s.api.get(`/api/v1/rooms/${room.roomId}`), 404);
  });

  it('deletion scheduled for the end (withMeeting=when_meeting_ends → 202), then the meeting ends → meetingEnded with action delete', async () => {
    const { room, mod } = await meeting({ roomName: 'scheduled-delete' });
    await accepted(room.roomId, 'meetingStarted');
    const del = await s.api.del(`/api/v1/rooms/${room.roomId}?withMeeting=when_meeting_ends`);
    assertStatus(del, 202);
    assert.equal(del.body.room.meetingEndAction, 'delete');
    await sleep(300);
    assert.equal(rx.select({ roomId: room.roomId }).length, 1, 'scheduling the deletion sends nothing');
    assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
    const d = await accepted(room.roomId, 'meetingEnded');
    assertWellFormed(d);
    assert.deepEqual(d.json.data, del.body.room, 'the room as the 202 showed it: active_meeting, action delete');
    assertStatus(await s.api.get(`/api/v1/rooms/${room.roomId}`), 404);
  });

  it('auto-deletion of an expired room during its meeting (policy force) → meetingEnded with action delete', async () => {
    const date = Date.now() + 2500;
    const { room } = await meeting({
      roomName: 'expiring',
      autoDeletionDate: date,
      autoDeletionPolicy: { withMeeting: 'force', withRecordings: 'force' },
    });
    const started = await accepted(room.roomId, 'meetingStarted');
    assert.equal(started.json.data.autoDeletionDate, date);
    const d = await accepted(room.roomId, 'meetingEnded', 10000);
    assertWellFormed(d);
    assert.ok(d.json.creationDate >= date, 'after the deletion date');
    assert.deepEqual(d.json.data, { ...started.json.data, meetingEndAction: 'delete' });
    assertStatus(await s.api.get(`/api/v1/rooms/${room.roomId}`), 404);
  });

  it('LiveKit room_finished (the LiveKit room is deleted behind Convene\'s back) → meetingEnded with status open', async () => {
    const { room } = await meeting({ roomName: 'lk-deleted' });
    await accepted(room.roomId, 'meetingStarted');
    await s.roomService().deleteRoom(room.roomId);
    await s.settle();
    const d = await accepted(room.roomId, 'meetingEnded');
    assertWellFormed(d);
    const current = await s.getRoom(room.roomId);
    assert.equal(current.status, 'open');
    assert.deepEqual(d.json.data, current);
  });

  it('LiveKit room_finished after the last participant left (departure timeout) → meetingEnded', async () => {
    const { room, mod } = await meeting({ roomName: 'departed' });
    await accepted(room.roomId, 'meetingStarted');
    s.emulator.setRoomTimeouts({ room: room.roomId, departureTimeout: 1 });
    await s.leave(room.roomId, mod.identity);
    const d = await accepted(room.roomId, 'meetingEnded', 10000);
    assertWellFormed(d);
    assert.equal(d.json.data.status, 'open');
    assert.equal((await s.getRoom(room.roomId)).status, 'open');
  });

  it('room_finished lost: reconciliation finds the LiveKit room gone and sends meetingEnded, once', async () => {
    const { room } = await meeting({ roomName: 'lost-finish' });
    await accepted(room.roomId, 'meetingStarted');
    await s.settle();
    s.emulator.configure({ webhookUrl: null });
    try {
      await s.roomService().deleteRoom(room.roomId);
      const d = await accepted(room.roomId, 'meetingEnded', 8000);
      assertWellFormed(d);
      assert.equal(d.json.data.status, 'open');
      assert.deepEqual(d.json.data, await s.getRoom(room.roomId));
    } finally {
      s.emulator.configure({ webhookUrl: s.webhookUrl });
    }
    await sleep(QUIET_MS);
    assert.deepEqual(rx.select({ roomId: room.roomId }).map((x) => x.event), ['meetingStarted', 'meetingEnded']);
  });

  it('room_finished for a meeting that never started (token requested, nobody joined) sends nothing', async () => {
    const room = await s.createRoom({ roomName: 'never-started' });
    await s.participant(room, 'MOD', 'moderator'); // creates the LiveKit room
    await s.settle();
    assert.ok(s.lkRoom(room.roomId), 'the LiveKit room exists');
    await s.roomService().deleteRoom(room.roomId);
    await s.settle();
    await sleep(QUIET_MS);
    assert.deepEqual(rx.select({ roomId: room.roomId }), []);
    assert.equal((await s.getRoom(room.roomId)).status, 'open');
  });

  it('ending a room that has no meeting sends nothing', async () => {
    const room = await s.createRoom({ roomName: 'idle' });
    const token = await s.token({ roomId: room.roomId, secret: room.secrets.moderator });
    assertStatus(await s.endMeeting(room.roomId, token), 200);
    const del = await s.api.del(`/api/v1/rooms/${room.roomId}?withMeeting=force`);
    assertStatus(del, 200);
    await sleep(QUIET_MS);
    assert.deepEqual(rx.select({ roomId: room.roomId }), []);
  });
});

describe('per-room order with many rooms and interleaved events (deviations §8)', () => {
  it('started, ended, started, ended in every room; a later event of a room is never sent before the earlier one was accepted', { timeout: 90000 }, async () => {
    const ROOMS = 12;
    // The first attempt of every other new event fails (500), so that retries are mixed in.
    const firstSeen = new Set();
    let n = 0;
    rx.setResponder((d) => {
      if (!d.roomId?.startsWith('order')) return undefined;
      if (firstSeen.has(d.webhookId)) return 200;
      firstSeen.add(d.webhookId);
      return n++ % 2 === 0 ? 500 : 200;
    });
    try {
      const rooms = await Promise.all(Array.from({ length: ROOMS }, (_, i) => s.createRoom({ roomName: `order ${i}` })));
      await Promise.all(
        rooms.map(async (room, i) => {
          await sleep(i * 37); // stagger, so that rooms interleave rather than march in step
          for (const round of [1, 2]) {
            const mod = await s.participant(room, `MOD${round}`, 'moderator');
            await s.join(mod.token);
            await sleep(20 + ((i * 13) % 50));
            assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
          }
        }),
      );
      await rx.waitFor(
        () => rooms.every((room) => rx.acceptedEvents({ roomId: room.roomId }).length >= 4),
        45000,
        'four accepted events in every room',
      );
      const expected = ['meetingStarted', 'meetingEnded', 'meetingStarted', 'meetingEnded'];
      for (const room of rooms) {
        const events = rx.acceptedEvents({ roomId: room.roomId });
        assert.deepEqual(events.map((d) => d.event), expected, `order in ${room.roomId}`);
        for (const d of events) assertWellFormed(d);
        const dates = events.map((d) => d.json.creationDate);
        assert.deepEqual(dates, [...dates].sort((a, b) => a - b), `creationDate ascending in ${room.roomId}`);
        assert.equal(new Set(events.map((d) => d.webhookId)).size, 4, 'four distinct X-Webhook-Ids');
        // Head of line: the first attempt of event k+1 arrives after event k was accepted.
        const all = rx.select({ roomId: room.roomId });
        for (let k = 0; k + 1 < events.length; k++) {
          const acceptedAt = events[k].answer.at;
          const next = all.filter((d) => d.webhookId === events[k + 1].webhookId);
          assert.ok(next.length > 0);
          assert.ok(next[0].at >= acceptedAt, `${room.roomId}: event ${k + 1} sent at ${next[0].at} before event ${k} was accepted at ${acceptedAt}`);
        }
        assert.equal(rx.select({ roomId: room.roomId }).filter((d) => !d.webhookId).length, 0);
      }
      // The test exercised what it claims: some attempts failed, and rooms were interleaved.
      assert.ok(rx.deliveries.some((d) => d.roomId?.startsWith('order') && d.answer?.status === 500), 'some attempts were refused');
      const sequence = rx.select({ accepted: true }).filter((d) => d.roomId?.startsWith('order')).map((d) => d.roomId);
      const switches = sequence.filter((id, i) => i > 0 && id !== sequence[i - 1]).length;
      assert.ok(switches > ROOMS, `deliveries of different rooms interleave (${switches} switches)`);
    } finally {
      rx.setResponder(null);
    }
  });
});

describe('identity and signature of every delivery (reference §16; deviations §8)', () => {
  it('all deliveries of this suite verified, and X-Webhook-Id is distinct per event and stable per event', () => {
    assert.ok(rx.deliveries.length > 40, `${rx.deliveries.length} deliveries seen`);
    const byId = new Map();
    for (const d of rx.deliveries) {
      assertWellFormed(d);
      if (!byId.has(d.webhookId)) byId.set(d.webhookId, []);
      byId.get(d.webhookId).push(d);
    }
    const bodies = new Set();
    for (const [id, list] of byId) {
      // Redeliveries of one event carry the same bytes; the first is stamped with the
      // creationDate, later ones with their own time and a matching signature.
      assert.equal(list[0].timestamp, String(list[0].json.creationDate), `${id}: first attempt stamped with the creationDate`);
      for (const d of list) {
        assert.equal(d.text, list[0].text, `${id}: same body on every attempt`);
        assert.ok(d.verified, `${id}: every attempt's signature verifies`);
      }
      assert.ok(!bodies.has(list[0].text), `${id}: no other event has the same body`);
      bodies.add(list[0].text);
    }
    // Distinct events never share an id: one id, one (event, room, creationDate).
    const keys = new Set([...byId.values()].map((l) => `${l[0].event}|${l[0].roomId}|${l[0].json.creationDate}`));
    assert.equal(keys.size, byId.size);
  });

  it('a delivery re-signed with a different key or altered by one byte would be rejected by the receiver', () => {
    const d = rx.deliveries.find((x) => x.accepted);
    assert.ok(d);
    const tampered = Buffer.from(d.rawBody);
    tampered[tampered.length - 2] ^= 1;
    assert.equal(verifyWebhook({ apiKey: API_KEY, timestamp: d.timestamp, signature: d.signature, rawBody: tampered }).verified, false);
    assert.equal(verifyWebhook({ apiKey: `${API_KEY}x`, timestamp: d.timestamp, signature: d.signature, rawBody: d.rawBody }).verified, false);
  });

  it('the Prometheus counter counts the deliveries', async () => {
    // Counters are per instance: with several instances (cluster mode) the leader counts all the
    // deliveries, so the sum over the instances is compared.
    const delivered = async () => {
      const total = await metricTotal(s.convene, 'convene_webhook_deliveries_total{outcome="delivered"}');
      assert.notEqual(total, null, 'delivered counter present');
      return total;
    };
    // Delivery is at least once: an event the receiver accepted may have been delivered again
    // (its first answer came too late for the sender), and every 2xx delivery counts. So the
    // counter lies between the events accepted and the deliveries accepted.
    const events = rx.acceptedEvents().length;
    const accepted = () => rx.deliveries.filter((d) => d.accepted).length;
    const deadline = Date.now() + 3000;
    let got = await delivered();
    while ((got < events || got > accepted()) && Date.now() < deadline) {
      await sleep(100);
      got = await delivered();
    }
    assert.ok(got >= events && got <= accepted(),
      `delivered counter ${got}: between the ${events} events and the ${accepted()} deliveries the receiver accepted`);
  });
});

// POST /internal-api/v1/participants/token against Convene + the LiveKit emulator.
// Spec: reference-api.md §4.3, §9.2, §10 (10.2–10.11), §11, §12; Appendix B.1, B.7 (ported);
// convene-deviations.md §1.1, §1.3, §3.1, §3.4, §4, §6.2; livekit.md §1.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MINTED,
  assertError,
  assertMintedIdentity,
  assertParticipantToken,
  assertStatus,
  assertValidationIncludes,
  decodeJwt,
  mintJoinToken,
  signJwt,
  startStack,
  tokenMetadata,
  tokenRoles,
} from './support/livekit.mjs';
import { ACCESS_COOKIE, PARTICIPANT_COOKIE, adminSession, bearer, findSetCookie, setCookieLines } from './support/convene.mjs';

const FULL_CONFIG = {
  recording: { enabled: true, allowAccessTo: 'admin_moderator_speaker' },
  chat: { enabled: true },
  virtualBackground: { enabled: true },
};

let s;
let admin; // admin session, for the security config (transport mode, authModeToAccessRoom)

before(async () => {
  s = await startStack();
  admin = await adminSession(s.convene);
});

after(async () => {
  await s?.close();
});

describe('Generate Participant Token Tests (B.1)', () => {
  it('should generate a participant token without join permissions when not specifying participant name', async () => {
    const room = await s.createRoom({ roomName: 'no name' });
    const token = await s.token({ roomId: room.roomId, secret: room.secrets.moderator });
    await assertParticipantToken(token, {
      roomId: room.roomId,
      livekitUrl: s.livekitUrl,
      roles: ['moderator'],
      roomJoin: false,
    });
    assert.equal(s.lkRoom(room.roomId), null, 'a token without a name creates no LiveKit room');
    assert.equal((await s.getRoom(room.roomId)).status, 'open');
  });

  it('should generate a participant token with moderator permissions when using the moderator secret', async () => {
    const room = await s.createRoom({ roomName: 'mod' });
    const token = await s.token({ roomId: room.roomId, secret: room.secrets.moderator, participantName: 'MODERATOR' });
    await assertParticipantToken(token, {
      roomId: room.roomId,
      livekitUrl: s.livekitUrl,
      name: 'MODERATOR',
      identity: MINTED,
      roles: ['moderator'],
    });
  });

  it('should generate a participant token with speaker permissions when using the speaker secret', async () => {
    const room = await s.createRoom({ roomName: 'spk' });
    const token = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'SPEAKER' });
    await assertParticipantToken(token, {
      roomId: room.roomId,
      livekitUrl: s.livekitUrl,
      name: 'SPEAKER',
      identity: MINTED,
      roles: ['speaker'],
    });
  });

  // B.1 runs this in cookie mode; generate reads the previous token from the cookie in either
  // transport mode (§10.4), so it is exercised here in header mode with a Cookie header.
  it('should generate a token with both speaker and moderator permissions when using the speaker secret after having a moderator token in the cookie', async () => {
    const room = await s.createRoom({ roomName: 'carry' });
    const mod = await s.token({ roomId: room.roomId, secret: room.secrets.moderator, participantName: 'Carrie' });
    const res = await s.tokenRequest(
      { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Carrie' },
      { cookie: mod },
    );
    assertStatus(res, 200);
    const meta = tokenMetadata(res.body.token);
    assert.deepEqual(meta.roles.map((r) => r.role), ['moderator', 'speaker']);
    assert.equal(meta.selectedRole, 'speaker');
    const { payload } = decodeJwt(res.body.token);
    assert.equal(payload.sub, decodeJwt(mod).payload.sub, 'the holder of the previous token keeps its identity');
    assert.equal(payload.name, 'Carrie', 'the same identity asking again keeps its name (deviations §3.2)');
  });

  it('should generate a participant token and store it in a cookie when in cookie mode', async () => {
    const room = await s.createRoom({ roomName: 'cookie mode' });
    await admin.setSecurity({ transport: 'cookie' });
    try {
      const res = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.moderator, participantName: 'COOKIE' });
      assertStatus(res, 200);
      assert.deepEqual(Object.keys(res.body), ['token']);
      await assertParticipantToken(res.body.token, {
        roomId: room.roomId, livekitUrl: s.livekitUrl, name: 'COOKIE', identity: MINTED, roles: ['moderator'],
      });
      // §9.3, §10.9: a session cookie (no Max-Age/Expires) with the token.
      assert.equal(setCookieLines(res).length, 1);
      const cookie = findSetCookie(res, PARTICIPANT_COOKIE);
      assert.ok(cookie, JSON.stringify(setCookieLines(res)));
      assert.equal(cookie.value, res.body.token);
      assert.deepEqual(cookie.attributes, { path: '/', httponly: true, secure: true, samesite: 'None', partitioned: true });
    } finally {
      await admin.setSecurity({ transport: 'header' });
    }
  });

  it('header mode sets no cookie', async () => {
    const room = await s.createRoom({ roomName: 'header mode' });
    const res = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'NOCOOKIE' });
    assertStatus(res, 200);
    assert.deepEqual(setCookieLines(res), []);
  });

  it('should success when participant already exists in the room — an externally joined identity blocks its name (R3 fixed)', async () => {
    const room = await s.createRoom({ roomName: 'external' });
    // The LiveKit room exists because of a named token (like setupSingleRoom's MODERATOR).
    await s.token({ roomId: room.roomId, secret: room.secrets.moderator, participantName: 'MODERATOR' });
    // Like `lk room join --identity TEST_PARTICIPANT`: a token minted outside Meet, joined over /_test/join.
    const external = await mintJoinToken({ room: room.roomId, identity: 'TEST_PARTICIPANT' });
    const joined = await s.testApi('POST', 'join', { token: external });
    assert.equal(joined.status, 200, joined.text);
    assert.equal(joined.body.identity, 'TEST_PARTICIPANT');
    await s.settle();
    assert.deepEqual(s.lkIdentities(room.roomId), ['TEST_PARTICIPANT']);

    const first = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'TEST_PARTICIPANT' });
    const second = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'TEST_PARTICIPANT' });
    assert.equal(decodeJwt(first).payload.name, 'TEST_PARTICIPANT_1');
    assertMintedIdentity(decodeJwt(first).payload.sub, 'TEST_PARTICIPANT_1');
    assert.equal(decodeJwt(second).payload.name, 'TEST_PARTICIPANT_2');
    // Joining with the issued token does not displace the external participant, which keeps the
    // identity its own token gave it.
    await s.join(first);
    assert.deepEqual(s.lkIdentities(room.roomId), ['TEST_PARTICIPANT', decodeJwt(first).payload.sub].sort());
  });

  it('an externally joined participant with a display name blocks that name too', async () => {
    const room = await s.createRoom({ roomName: 'external named' });
    const external = await mintJoinToken({ room: room.roomId, identity: 'cli-1', name: 'Bob' });
    await s.join(external);
    const t = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'bob' });
    assert.equal(decodeJwt(t).payload.name, 'bob_1');
  });

  it('should fail with 409 when room is closed (ended meeting, then status closed)', async () => {
    const room = await s.createRoom({ roomName: 'closed' });
    const mod = await s.participant(room, 'MOD', 'moderator');
    await s.join(mod.token);
    assertStatus(await s.endMeeting(room.roomId, mod.token), 200);
    const closed = await s.api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } });
    assertStatus(closed, 200);
    assert.equal(closed.body.room.status, 'closed');
    const msg = `Room '${room.roomId}' is closed and cannot be joined`;
    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'late' }),
      409, 'Room Error', msg,
    );
    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.moderator, participantName: 'late mod' }),
      409, 'Room Error', msg,
    );
  });

  it('a token without a name is refused for a closed room too (B8 fixed)', async () => {
    const room = await s.createRoom({ roomName: 'closed noname' });
    assertStatus(await s.api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } }), 200);
    const msg = `Room '${room.roomId}' is closed and cannot be joined`;
    assertError(await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker }), 409, 'Room Error', msg);
    assertError(await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.moderator }), 409, 'Room Error', msg);
    // Re-opened: allowed again.
    assertStatus(await s.api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'open' } }), 200);
    assertStatus(await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker }), 200);
  });

  it('should fail with 404 when room does not exist', async () => {
    assertError(
      await s.tokenRequest({ roomId: 'no-such-room-123', secret: 'abc', participantName: 'x' }),
      404, 'Room Error', "Room 'no-such-room-123' does not exist",
    );
    assertError(
      await s.tokenRequest({ roomId: 'no-such-room-123', secret: 'abc' }),
      404, 'Room Error', "Room 'no-such-room-123' does not exist",
    );
  });

  it('should fail with 400 when secret is invalid', async () => {
    const room = await s.createRoom({ roomName: 'badsecret' });
    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: 'wrongsecret', participantName: 'x' }),
      400, 'Room Error', `Secret 'wrongsecret' is not recognized for room '${room.roomId}'`,
    );
    assert.equal(s.lkRoom(room.roomId), null, 'nothing was created for a refused request');
  });

  it('sanitises the roomId of the body (§10.2): " <id> " finds the room', async () => {
    const room = await s.createRoom({ roomName: 'sanitised' });
    const t = await s.token({ roomId: ` ${room.roomId}! `, secret: room.secrets.speaker, participantName: 'San' });
    assert.equal(decodeJwt(t).payload.video.room, room.roomId);
  });
});

describe('Generate Participant Token Validation Tests (B.1)', () => {
  it('should fail when roomId is not provided', async () => {
    assertValidationIncludes(await s.tokenRequest({ secret: 'abc', participantName: 'x' }), { field: 'roomId', message: 'Required' });
  });

  it('should fail when secret is not provided', async () => {
    assertValidationIncludes(await s.tokenRequest({ roomId: 'abc', participantName: 'x' }), { field: 'secret', message: 'Required' });
  });

  it('should fail when secret is empty', async () => {
    assertValidationIncludes(await s.tokenRequest({ roomId: 'abc', secret: '', participantName: 'x' }), { field: 'secret', message: 'Secret is required' });
  });

  it('roomId rules: empty, too long, empty after sanitising, wrong type', async () => {
    assertValidationIncludes(await s.tokenRequest({ roomId: '', secret: 'abc' }), { field: 'roomId', message: 'roomId is required and cannot be empty' });
    assertValidationIncludes(await s.tokenRequest({ roomId: 'a'.repeat(101), secret: 'abc' }), { field: 'roomId', message: 'roomId cannot exceed 100 characters' });
    assertValidationIncludes(await s.tokenRequest({ roomId: '!!!', secret: 'abc' }), { field: 'roomId', message: 'roomId cannot be empty after sanitization' });
    assertValidationIncludes(await s.tokenRequest({ roomId: 5, secret: 'abc' }), { field: 'roomId', message: 'Expected string, received number' });
    assertValidationIncludes(await s.tokenRequest({ roomId: 'abc', secret: 'abc', participantName: 7 }), { field: 'participantName', message: 'Expected string, received number' });
  });

  it('validation runs before the room lookup (422, not 404)', async () => {
    assertValidationIncludes(await s.tokenRequest({ roomId: 'does-not-exist', secret: '' }), { field: 'secret', message: 'Secret is required' });
  });

  it('malformed JSON → 400 Bad Request / Malformed body', async () => {
    const res = await fetch(`${s.convene.url}/internal-api/v1/participants/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"roomId": ',
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: 'Bad Request', message: 'Malformed body' });
  });
});

describe('Participant token format (§10.8, deviations §1.1)', () => {
  it('a named token is accepted by LiveKit (the emulator) and joins with the identity minted from the name', async () => {
    const room = await s.createRoom({ roomName: 'joinable' });
    const t = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Joe Doe' });
    const info = await s.join(t);
    assert.equal(info.identity, decodeJwt(t).payload.sub, 'LiveKit knows the participant by the token\'s sub');
    assertMintedIdentity(info.identity, 'Joe Doe', 'spaces are kept in the identity (§10.7)');
    assert.equal(info.name, 'Joe Doe');
    assert.deepEqual(JSON.parse(info.metadata), tokenMetadata(t), 'the token metadata becomes the participant metadata');
  });

  it('a token without a name cannot join LiveKit (roomJoin false)', async () => {
    const room = await s.createRoom({ roomName: 'unjoinable' });
    const t = await s.token({ roomId: room.roomId, secret: room.secrets.speaker });
    const res = await s.tryJoin(t);
    assert.equal(res.status, 401, res.text);
  });

  it('a caller-supplied participantIdentity becomes sub, the name stays the name', async () => {
    const room = await s.createRoom({ roomName: 'ident' });
    const t = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Ann', participantIdentity: 'ann-42' });
    await assertParticipantToken(t, {
      roomId: room.roomId, livekitUrl: s.livekitUrl, name: 'Ann', identity: 'ann-42', roles: ['speaker'],
    });
  });

  it('the LiveKit room is created with the reference metadata (§10.6) when a named token is requested', async () => {
    const room = await s.createRoom({ roomName: 'Meta Room', autoDeletionPolicy: { withMeeting: 'force', withRecordings: 'force' } });
    await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'M' });
    const lk = s.lkRoom(room.roomId);
    assert.ok(lk, 'the LiveKit room exists');
    assert.deepEqual(JSON.parse(lk.room.metadata), {
      createdBy: 'openviduMeet',
      roomOptions: {
        roomName: 'Meta Room',
        autoDeletionPolicy: { withMeeting: 'force', withRecordings: 'force' },
        config: FULL_CONFIG,
      },
    });
    assert.equal(lk.room.max_participants, 0, 'no maxParticipants configured → unlimited');
    assert.equal(s.calls('CreateRoom').filter((c) => c.request?.name === room.roomId).length, 1);
  });
});

describe('Caller-supplied participantIdentity (deviations §3.4, B4)', () => {
  it("409 Participant Error when the identity belongs to a present participant", async () => {
    const room = await s.createRoom({ roomName: 'dupident' });
    const alice = await s.participant(room, 'Alice', 'speaker');
    await s.join(alice.token);
    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.moderator, participantName: 'Mallory', participantIdentity: alice.identity }),
      409, 'Participant Error', `Participant '${alice.identity}' already exists in room '${room.roomId}'`,
    );
    assert.deepEqual(s.lkIdentities(room.roomId), [alice.identity], 'the victim is still there');
  });

  it('409 when the identity belongs to a reserved (not yet joined) participant', async () => {
    const room = await s.createRoom({ roomName: 'dupreserved' });
    const rita = await s.participant(room, 'Rita', 'speaker');
    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Other', participantIdentity: rita.identity }),
      409, 'Participant Error', `Participant '${rita.identity}' already exists in room '${room.roomId}'`,
    );
  });

  it("a caller-chosen identity blocks a later participant's name from becoming that identity", async () => {
    const room = await s.createRoom({ roomName: 'identblocks' });
    await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Zed', participantIdentity: 'Carol' });
    const carol = await s.participant(room, 'Carol', 'speaker');
    assert.notEqual(carol.identity, 'Carol', 'identities stay unique');
    // The name an identity is used as is not handed out either (the registry's rule for names,
    // deviations §3.1): Carol_1, with an identity minted from it.
    assert.equal(carol.name, 'Carol_1');
    assertMintedIdentity(carol.identity, 'Carol_1');
  });
});

describe('maxParticipants (deviations §4)', () => {
  it('rejects 0 and 1001, accepts 1 and 1000', async () => {
    for (const bad of [0, 1001, 2.5, -1]) {
      const res = await s.api.post('/api/v1/rooms', { json: { config: { ...FULL_CONFIG, maxParticipants: bad } } });
      assertValidationIncludes(res, { field: 'config.maxParticipants' });
    }
    for (const good of [1, 1000]) {
      const room = await s.createRoom({ config: { ...FULL_CONFIG, maxParticipants: good } });
      assert.equal(room.config.maxParticipants, good);
    }
  });

  it("409 Room Error 'is full' once reserved + joined reach the limit; LiveKit gets max_participants", async () => {
    const room = await s.createRoom({ roomName: 'full', config: { ...FULL_CONFIG, maxParticipants: 2 } });
    const a = await s.participant(room, 'A', 'moderator');
    await s.join(a.token); // joined
    await s.participant(room, 'B', 'speaker'); // reserved
    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'C' }),
      409, 'Room Error', `Room '${room.roomId}' is full`,
    );
    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.moderator, participantName: 'D' }),
      409, 'Room Error', `Room '${room.roomId}' is full`,
    );
    assert.equal(s.lkRoom(room.roomId).room.max_participants, 2);
    // A leaves: a place is free again.
    await s.leave(room.roomId, a.identity);
    const c = await s.participant(room, 'C', 'speaker');
    assert.equal(c.name, 'C');
  });

  it('concurrent requests never over-admit', async () => {
    const room = await s.createRoom({ roomName: 'fullrace', config: { ...FULL_CONFIG, maxParticipants: 5 } });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: `P${i % 3}` })));
    const ok = results.filter((r) => r.status === 200);
    const full = results.filter((r) => r.status === 409);
    assert.equal(ok.length, 5, 'exactly maxParticipants tokens');
    assert.equal(full.length, 35);
    for (const r of full) assert.deepEqual(r.body, { error: 'Room Error', message: `Room '${room.roomId}' is full` });
  });

  it('the same identity asking again does not count twice (refresh-like reload)', async () => {
    const room = await s.createRoom({ roomName: 'fullreload', config: { ...FULL_CONFIG, maxParticipants: 1 } });
    const a = await s.participant(room, 'Solo', 'moderator');
    await s.join(a.token);
    // A reload sends the previous token in the cookie; the owner keeps its place.
    const again = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.moderator, participantName: 'Solo' }, { cookie: a.token });
    assertStatus(again, 200);
    assert.equal(decodeJwt(again.body.token).payload.sub, a.identity);
  });
});

describe('deployment-wide cap on participants per room (MEET_MAX_PARTICIPANTS_PER_ROOM, Convene)', () => {
  // Anyone with a room secret can ask for named tokens, and each holds a reservation for
  // MEET_NAME_PENDING_TTL: the cap bounds what one room can hold (default 10 000, 0 = none).
  let capped;
  before(async () => {
    capped = await startStack({ webhooks: false, conveneEnv: { MEET_MAX_PARTICIPANTS_PER_ROOM: '3' } });
  });
  after(async () => {
    await capped?.close();
  });

  it('a room without maxParticipants holds at most the cap: the next name is 409 is full', async () => {
    const room = await capped.createRoom({ roomName: 'capped' });
    const first = await capped.participant(room, 'Ann');
    await capped.participant(room, 'Ann');
    await capped.participant(room, 'Bob');
    assertError(
      await capped.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Cid' }),
      409, 'Room Error', `Room '${room.roomId}' is full`,
    );
    // The cap is per room, and the holders keep their places (a reload counts once).
    const other = await capped.createRoom({ roomName: 'other' });
    await capped.participant(other, 'Ann');
    const reload = await capped.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Ann' }, { cookie: first.token });
    assertStatus(reload, 200);
    assert.equal(decodeJwt(reload.body.token).payload.sub, first.identity);
  });

  it("a room's own lower maxParticipants still applies first", async () => {
    const room = await capped.createRoom({ roomName: 'small', config: { ...FULL_CONFIG, maxParticipants: 2 } });
    await capped.participant(room, 'A');
    await capped.participant(room, 'B');
    assertError(
      await capped.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'C' }),
      409, 'Room Error', `Room '${room.roomId}' is full`,
    );
  });

  it('concurrent requests never exceed the cap', async () => {
    const room = await capped.createRoom({ roomName: 'caprace' });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      capped.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: `P${i % 4}` })));
    assert.equal(results.filter((r) => r.status === 200).length, 3);
    for (const r of results.filter((x) => x.status !== 200)) {
      assert.deepEqual([r.status, r.body], [409, { error: 'Room Error', message: `Room '${room.roomId}' is full` }]);
    }
  });
});

describe('Previous token in the cookie on generate (deviations §1.3, B1/B2)', () => {
  it('a forged previous token (wrong signature) grants nothing', async () => {
    const room = await s.createRoom({ roomName: 'forged' });
    // Forged for an identity the registry does record as a moderator: only the signature is wrong.
    const eve = await s.participant(room, 'Eve', 'moderator');
    const forged = signJwt({
      iss: 'devkey', sub: eve.identity, name: 'Eve', nbf: 0, exp: Math.floor(Date.now() / 1000) + 3600,
      video: { roomJoin: true, room: room.roomId },
      metadata: JSON.stringify({ livekitUrl: s.livekitUrl, roles: [{ role: 'moderator', permissions: { canRecord: true, canChat: true, canChangeVirtualBackground: true } }], selectedRole: 'moderator' }),
    }, { secret: 'not-the-secret' });
    const res = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Eve' }, { cookie: forged });
    assertStatus(res, 200);
    assert.deepEqual(tokenRoles(res.body.token), ['speaker']);
    assert.equal(tokenMetadata(res.body.token).selectedRole, 'speaker');
    assert.notEqual(decodeJwt(res.body.token).payload.sub, eve.identity, "the forged token did not prove Eve's identity");
  });

  it('a valid moderator token of another room grants nothing (B2)', async () => {
    const roomA = await s.createRoom({ roomName: 'A' });
    const roomB = await s.createRoom({ roomName: 'B' });
    const modA = await s.token({ roomId: roomA.roomId, secret: roomA.secrets.moderator, participantName: 'Max' });
    // The same identity is a moderator in B too (chosen by a caller there): A's token must not
    // prove it in B, or its holder would get B's moderator record.
    const maxId = decodeJwt(modA).payload.sub;
    await s.token({ roomId: roomB.roomId, secret: roomB.secrets.moderator, participantName: 'Max', participantIdentity: maxId });
    const res = await s.tokenRequest({ roomId: roomB.roomId, secret: roomB.secrets.speaker, participantName: 'Max' }, { cookie: modA });
    assertStatus(res, 200);
    assert.deepEqual(tokenRoles(res.body.token), ['speaker']);
    assert.notEqual(decodeJwt(res.body.token).payload.sub, maxId);
    // …and it cannot act as moderator in B.
    assertStatus(await s.endMeeting(roomB.roomId, res.body.token, 'moderator'), 403);
  });

  it('an expired moderator token (properly signed) grants nothing on generate', async () => {
    const room = await s.createRoom({ roomName: 'expired cookie' });
    // Expired, for an identity the registry does record as a moderator: only the expiry is wrong.
    const old = await s.participant(room, 'Old', 'moderator');
    const expired = signJwt({
      iss: 'devkey', sub: old.identity, name: 'Old', nbf: 0, exp: Math.floor(Date.now() / 1000) - 60,
      video: { roomJoin: true, room: room.roomId, canPublish: true, canSubscribe: true, canPublishData: true, canUpdateOwnMetadata: true },
      metadata: JSON.stringify({ livekitUrl: s.livekitUrl, roles: [{ role: 'moderator', permissions: { canRecord: true, canChat: true, canChangeVirtualBackground: true } }], selectedRole: 'moderator' }),
    });
    const res = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Old' }, { cookie: expired });
    assertStatus(res, 200);
    assert.deepEqual(tokenRoles(res.body.token), ['speaker']);
    assert.notEqual(decodeJwt(res.body.token).payload.sub, old.identity);
  });

  it('a token with a forged "speaker with canRecord" entry does not keep the forged permissions', async () => {
    const room = await s.createRoom({ roomName: 'forged perms' });
    const forged = signJwt({
      iss: 'devkey', sub: 'Perm', name: 'Perm', nbf: 0, exp: Math.floor(Date.now() / 1000) + 3600,
      video: { roomJoin: true, room: room.roomId },
      metadata: JSON.stringify({ livekitUrl: s.livekitUrl, roles: [{ role: 'speaker', permissions: { canRecord: true, canChat: true, canChangeVirtualBackground: true } }], selectedRole: 'speaker' }),
    }, { secret: 'nope' });
    const res = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Perm' }, { cookie: forged });
    assertStatus(res, 200);
    assert.deepEqual(tokenMetadata(res.body.token).roles, [{ role: 'speaker', permissions: { canRecord: false, canChat: true, canChangeVirtualBackground: true } }]);
  });
});

describe('Participant Token security by authModeToAccessRoom (B.7)', () => {
  // B.7 ported: "authenticated" = an admin access token (header mode: authorization: Bearer;
  // "via cookie": cookie mode with OvMeetAccessToken). B.7 refreshes expired tokens; here the
  // previous tokens are still valid (refreshing expired tokens is B.2, participants-refresh.test.mjs,
  // and the gate runs before the previous token is looked at).
  const CASES = [
    ['should succeed when no authentication is required and participant is speaker', 'none', 'speaker', 'anonymous', 200],
    ['should succeed when no authentication is required and participant is moderator', 'none', 'moderator', 'anonymous', 200],
    ['should succeed when authentication is required for moderator and participant is speaker', 'moderators_only', 'speaker', 'anonymous', 200],
    ['should succeed when authentication is required for moderator, participant is moderator and authenticated', 'moderators_only', 'moderator', 'header', 200],
    ['should succeed when authentication is required for moderator, participant is moderator and authenticated via cookie', 'moderators_only', 'moderator', 'cookie', 200],
    ['should fail when authentication is required for moderator and participant is moderator but not authenticated', 'moderators_only', 'moderator', 'anonymous', 401],
    ['should succeed when authentication is required for all users, participant is speaker and authenticated', 'all_users', 'speaker', 'header', 200],
    ['should fail when authentication is required for all users and participant is speaker but not authenticated', 'all_users', 'speaker', 'anonymous', 401],
    ['should succeed when authentication is required for all users, participant is moderator and authenticated', 'all_users', 'moderator', 'header', 200],
    ['should fail when authentication is required for all users and participant is moderator but not authenticated', 'all_users', 'moderator', 'anonymous', 401],
  ];

  async function withSecurity(authMode, transport, fn) {
    await admin.setSecurity({ authMode, transport });
    try {
      return await fn();
    } finally {
      await admin.setSecurity({ authMode: 'none', transport: 'header' });
    }
  }

  /** Headers for the caller: anonymous, admin by Bearer header, or admin by cookie (+ other cookies). */
  function callerHeaders(caller, cookies = {}) {
    const headers = caller === 'header' ? bearer(admin.accessToken) : {};
    const all = { ...cookies, ...(caller === 'cookie' ? { [ACCESS_COOKIE]: admin.accessToken } : {}) };
    if (Object.keys(all).length) headers.cookie = Object.entries(all).map(([k, v]) => `${k}=${v}`).join('; ');
    return headers;
  }

  describe('Generate Participant Token Tests (B.7)', () => {
    let room;
    let n = 0;
    before(async () => {
      room = await s.createRoom({ roomName: 'b7 generate' });
    });
    for (const [name, authMode, role, caller, status] of CASES) {
      it(`${name} (${status})`, async () => {
        n += 1;
        const transport = caller === 'cookie' ? 'cookie' : 'header';
        const res = await withSecurity(authMode, transport, () =>
          s.tokenRequest({ roomId: room.roomId, secret: room.secrets[role], participantName: `B7G${n}` }, { headers: callerHeaders(caller) }));
        if (status === 401) {
          assertError(res, 401, 'Authentication Error', 'Unauthorized');
          return;
        }
        assertStatus(res, 200);
        await assertParticipantToken(res.body.token, {
          roomId: room.roomId, livekitUrl: s.livekitUrl, name: `B7G${n}`, identity: MINTED, roles: [role],
        });
      });
    }
  });

  describe('Refresh Participant Token Tests (B.7)', () => {
    let room;
    const holders = {};
    before(async () => {
      room = await s.createRoom({ roomName: 'b7 refresh' });
      holders.moderator = await s.participant(room, 'B7MOD', 'moderator');
      holders.speaker = await s.participant(room, 'B7SPK', 'speaker');
      await s.join(holders.moderator.token);
      await s.join(holders.speaker.token);
    });
    for (const [name, authMode, role, caller, status] of CASES) {
      it(`${name} (${status})`, async () => {
        const h = holders[role];
        const transport = caller === 'cookie' ? 'cookie' : 'header';
        const headers = transport === 'cookie'
          ? callerHeaders(caller, { [PARTICIPANT_COOKIE]: h.token })
          : { ...callerHeaders(caller), 'x-participant-token': `Bearer ${h.token}` };
        const res = await withSecurity(authMode, transport, () =>
          s.tokenRequest({ roomId: room.roomId, secret: room.secrets[role], participantName: h.name, participantIdentity: h.identity }, { refresh: true, headers }));
        if (status === 401) {
          assertError(res, 401, 'Authentication Error', 'Unauthorized');
          return;
        }
        assertStatus(res, 200);
        await assertParticipantToken(res.body.token, {
          roomId: room.roomId, livekitUrl: s.livekitUrl, name: h.name, identity: h.identity, roles: [role],
        });
      });
    }
  });

  it('should succeed when no authentication is required (default mode none) for speaker and moderator', async () => {
    const room = await s.createRoom({ roomName: 'authnone' });
    assertStatus(await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 's' }), 200);
    assertStatus(await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.moderator, participantName: 'm' }), 200);
  });
});

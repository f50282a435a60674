// POST /internal-api/v1/participants/token/refresh against Convene + the LiveKit emulator, with
// short-lived tokens (MEET_PARTICIPANT_TOKEN_EXPIRATION=2s) and a short grace (4s).
// Spec: reference-api.md §10.4, §10.5, §10.11; Appendix B.2 (ported; B.7 refresh cases are in participants-token.test.mjs);
// convene-deviations.md §1.3, §1.4, §1.5, §4, §5.1; bugs B1, B4, B8, B12.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertError,
  assertParticipantToken,
  assertStatus,
  assertValidationIncludes,
  decodeJwt,
  nowSeconds,
  signJwt,
  sleep,
  startStack,
  tokenMetadata,
} from './support/livekit.mjs';
import { PARTICIPANT_COOKIE, adminSession, findSetCookie, setCookieLines } from './support/convene.mjs';

const TTL = 2;
const GRACE = 4;
const INSUFFICIENT = ['Authorization Error', 'Insufficient permissions to access this resource'];

let s;
let room;
let moderator; // {token, identity, name}
let speaker;
let lateToken; // issued at start-up, used once it is past the grace
let admin; // admin session, for the transport mode

/** Waits until `token` is expired by more than `extraSeconds` (exp has 1 s granularity). */
async function waitExpired(token, extraSeconds = 0) {
  const { exp } = decodeJwt(token).payload;
  const target = (exp + extraSeconds) * 1000 + 300;
  const wait = target - Date.now();
  assert.ok(wait < 15000, 'bounded wait');
  if (wait > 0) await sleep(wait);
}

before(async () => {
  s = await startStack({
    conveneEnv: { MEET_PARTICIPANT_TOKEN_EXPIRATION: `${TTL}s`, MEET_PARTICIPANT_REFRESH_GRACE: `${GRACE}s` },
  });
  admin = await adminSession(s.convene);
  const lateRoom = await s.createRoom({ roomName: 'late' });
  const late = await s.participant(lateRoom, 'Late', 'moderator');
  await s.join(late.token);
  lateToken = { ...late, room: lateRoom };

  room = await s.createRoom({ roomName: 'refresh' });
  moderator = await s.participant(room, 'MODERATOR', 'moderator');
  speaker = await s.participant(room, 'SPEAKER', 'speaker');
  await s.join(moderator.token);
  await s.join(speaker.token);
  // B.2: the tokens are expired when the refresh tests run.
  await waitExpired(speaker.token);
});

after(async () => {
  await s?.close();
});

describe('Refresh Participant Token Tests (B.2)', () => {
  it('should refresh participant token with moderator permissions when using the moderator secret (expired token, within the grace)', async () => {
    assert.ok(nowSeconds() >= decodeJwt(moderator.token).payload.exp, 'the previous token is expired');
    const t = await s.refresh(
      { roomId: room.roomId, secret: room.secrets.moderator, participantName: 'MODERATOR', participantIdentity: moderator.identity },
      moderator.token,
    );
    await assertParticipantToken(t, {
      roomId: room.roomId, livekitUrl: s.livekitUrl, name: 'MODERATOR', identity: moderator.identity, roles: ['moderator'], ttlSeconds: TTL,
    });
  });

  it('should refresh participant token with speaker permissions when using the speaker secret', async () => {
    const t = await s.refresh(
      { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'SPEAKER', participantIdentity: speaker.identity },
      speaker.token,
    );
    await assertParticipantToken(t, {
      roomId: room.roomId, livekitUrl: s.livekitUrl, name: 'SPEAKER', identity: speaker.identity, roles: ['speaker'], ttlSeconds: TTL,
    });
  });

  it('should refresh participant token and store it in a cookie when in cookie mode', async () => {
    // A fresh previous token, so that the grace cannot run out while the mode changes.
    const previous = await s.refresh(
      { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'SPEAKER', participantIdentity: speaker.identity },
      speaker.token,
    );
    await admin.setSecurity({ transport: 'cookie' });
    try {
      // Cookie mode reads the previous token from the cookie only (§3.2, §10.4).
      assertError(
        await s.tokenRequest(
          { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'SPEAKER', participantIdentity: speaker.identity },
          { refresh: true, previous },
        ),
        400, 'Participant Error', 'No participant token provided',
      );
      const res = await s.tokenRequest(
        { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'SPEAKER', participantIdentity: speaker.identity },
        { refresh: true, cookie: previous },
      );
      assertStatus(res, 200);
      await assertParticipantToken(res.body.token, {
        roomId: room.roomId, livekitUrl: s.livekitUrl, name: 'SPEAKER', identity: speaker.identity, roles: ['speaker'], ttlSeconds: TTL,
      });
      assert.equal(setCookieLines(res).length, 1);
      const cookie = findSetCookie(res, PARTICIPANT_COOKIE);
      assert.ok(cookie, JSON.stringify(setCookieLines(res)));
      assert.equal(cookie.value, res.body.token);
      assert.deepEqual(cookie.attributes, { path: '/', httponly: true, secure: true, samesite: 'None', partitioned: true });
    } finally {
      await admin.setSecurity({ transport: 'header' });
    }
  });

  it('should fail with 400 when secret is invalid', async () => {
    assertError(
      await s.tokenRequest(
        { roomId: room.roomId, secret: 'invalidsecret', participantName: 'SPEAKER', participantIdentity: speaker.identity },
        { refresh: true, previous: speaker.token },
      ),
      400, 'Room Error', `Secret 'invalidsecret' is not recognized for room '${room.roomId}'`,
    );
  });

  it('should fail with 400 when previous token is not provided', async () => {
    assertError(
      await s.tokenRequest(
        { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'SPEAKER', participantIdentity: speaker.identity },
        { refresh: true },
      ),
      400, 'Participant Error', 'No participant token provided',
    );
  });

  it('a header without the "Bearer " prefix counts as no token', async () => {
    assertError(
      await s.tokenRequest(
        { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'SPEAKER', participantIdentity: speaker.identity },
        { refresh: true, headers: { 'x-participant-token': speaker.token } },
      ),
      400, 'Participant Error', 'No participant token provided',
    );
  });

  it('should fail with 400 when participantIdentity is not provided — with a VALID secret this time (B12)', async () => {
    const fresh = await s.refresh(
      { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'SPEAKER', participantIdentity: speaker.identity },
      speaker.token,
    );
    assertError(
      await s.tokenRequest(
        { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'SPEAKER' },
        { refresh: true, previous: fresh },
      ),
      400, 'Participant Error', 'No participant identity provided',
    );
  });

  it('should fail with 404 when participant does not exist in the room', async () => {
    const ghost = await s.participant(room, 'Ghost', 'speaker'); // reserved, never joined
    assertError(
      await s.tokenRequest(
        { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Ghost', participantIdentity: ghost.identity },
        { refresh: true, previous: ghost.token },
      ),
      404, 'Participant Error', `Participant '${ghost.identity}' not found in room '${room.roomId}'`,
    );
  });

  it('404 once the participant has left the room', async () => {
    const leaver = await s.participant(room, 'Leaver', 'speaker');
    await s.join(leaver.token);
    await s.leave(room.roomId, leaver.identity);
    assertError(
      await s.tokenRequest(
        { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Leaver', participantIdentity: leaver.identity },
        { refresh: true, previous: leaver.token },
      ),
      404, 'Participant Error', `Participant '${leaver.identity}' not found in room '${room.roomId}'`,
    );
  });

  it('should fail with 404 when room does not exist', async () => {
    assertError(
      await s.tokenRequest(
        { roomId: 'nonexistent-room-1', secret: room.secrets.speaker, participantName: 'SPEAKER', participantIdentity: speaker.identity },
        { refresh: true, previous: speaker.token },
      ),
      404, 'Room Error', "Room 'nonexistent-room-1' does not exist",
    );
  });
});

describe('Refresh Participant Token Validation Tests (B.2)', () => {
  it('should fail when roomId is not provided', async () => {
    assertValidationIncludes(
      await s.tokenRequest({ secret: room.secrets.speaker, participantName: 'x', participantIdentity: 'x' }, { refresh: true, previous: speaker.token }),
      { field: 'roomId', message: 'Required' },
    );
  });
  it('should fail when secret is not provided', async () => {
    assertValidationIncludes(
      await s.tokenRequest({ roomId: room.roomId, participantName: 'x', participantIdentity: 'x' }, { refresh: true, previous: speaker.token }),
      { field: 'secret', message: 'Required' },
    );
  });
  it('should fail when secret is empty', async () => {
    assertValidationIncludes(
      await s.tokenRequest({ roomId: room.roomId, secret: '', participantName: 'x', participantIdentity: 'x' }, { refresh: true, previous: speaker.token }),
      { field: 'secret', message: 'Secret is required' },
    );
  });
});

describe('Previous token checks on refresh (deviations §1.3, §1.4; B1, B4)', () => {
  const body = () => ({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'SPEAKER', participantIdentity: speaker.identity });

  it('garbage token → 400 Invalid participant token', async () => {
    assertError(await s.tokenRequest(body(), { refresh: true, previous: 'not.a.jwt' }), 400, 'Participant Error', 'Invalid participant token');
    assertError(await s.tokenRequest(body(), { refresh: true, previous: 'garbage' }), 400, 'Participant Error', 'Invalid participant token');
  });

  it('forged token (wrong signature) with moderator roles → 400 Invalid participant token (B1)', async () => {
    const forged = signJwt({
      iss: 'devkey', sub: speaker.identity, name: 'SPEAKER', nbf: 0, exp: nowSeconds() + 3600,
      video: { roomJoin: true, room: room.roomId },
      metadata: JSON.stringify({ livekitUrl: s.livekitUrl, roles: [{ role: 'moderator', permissions: { canRecord: true, canChat: true, canChangeVirtualBackground: true } }], selectedRole: 'moderator' }),
    }, { secret: 'attacker' });
    assertError(await s.tokenRequest(body(), { refresh: true, previous: forged }), 400, 'Participant Error', 'Invalid participant token');
  });

  it('token with another issuer → 400 Invalid participant token', async () => {
    const other = signJwt({
      iss: 'otherkey', sub: speaker.identity, name: 'SPEAKER', nbf: 0, exp: nowSeconds() + 3600,
      video: { roomJoin: true, room: room.roomId },
      metadata: decodeJwt(speaker.token).payload.metadata,
    });
    assertError(await s.tokenRequest(body(), { refresh: true, previous: other }), 400, 'Participant Error', 'Invalid participant token');
  });

  it('valid token for another room → 400 Invalid participant token (B2 on refresh)', async () => {
    const other = await s.createRoom({ roomName: 'other' });
    // The same identity in the other room, so that only the room differs.
    const otherMod = await s.token({
      roomId: other.roomId, secret: other.secrets.moderator, participantName: 'SPEAKER', participantIdentity: speaker.identity,
    });
    assert.equal(decodeJwt(otherMod).payload.sub, speaker.identity);
    assertError(await s.tokenRequest(body(), { refresh: true, previous: otherMod }), 400, 'Participant Error', 'Invalid participant token');
  });

  it('a moderator role in the previous token is not carried over with the speaker secret when the registry says speaker', async () => {
    // A properly signed token claiming moderator for SPEAKER's identity (as if the secret had leaked once):
    // roles are server-authoritative (deviations §1.5).
    const claimsModerator = signJwt({
      iss: 'devkey', sub: speaker.identity, name: 'SPEAKER', nbf: 0, exp: nowSeconds() + 3600,
      video: { roomJoin: true, room: room.roomId, canPublish: true, canSubscribe: true, canPublishData: true, canUpdateOwnMetadata: true },
      metadata: JSON.stringify({ livekitUrl: s.livekitUrl, roles: [{ role: 'moderator', permissions: { canRecord: true, canChat: true, canChangeVirtualBackground: true } }], selectedRole: 'moderator' }),
    });
    const res = await s.tokenRequest(body(), { refresh: true, previous: claimsModerator });
    assertStatus(res, 200);
    assert.deepEqual(tokenMetadata(res.body.token).roles.map((r) => r.role), ['speaker']);
    assert.equal(tokenMetadata(res.body.token).selectedRole, 'speaker');
  });

  it('participantIdentity ≠ previous token sub → 403 (B4: no identity take-over)', async () => {
    const own = await s.refresh(body(), speaker.token);
    assertError(
      await s.tokenRequest(
        { roomId: room.roomId, secret: room.secrets.moderator, participantName: 'MODERATOR', participantIdentity: moderator.identity },
        { refresh: true, previous: own },
      ),
      403, ...INSUFFICIENT,
    );
  });

  it('refresh without a name → a token that cannot join, for the previous identity only (B8)', async () => {
    const own = await s.refresh(body(), speaker.token);
    const res = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker }, { refresh: true, previous: own });
    assertStatus(res, 200);
    const { payload } = decodeJwt(res.body.token);
    assert.equal(payload.video.roomJoin, false);
    assert.equal('name' in payload, false);
    assert.ok(payload.sub === undefined || payload.sub === speaker.identity, `sub ${payload.sub}`);
  });

  it('refresh keeps the name reserved for its owner (no new reservation, no suffix)', async () => {
    const t = await s.refresh(body(), speaker.token);
    assert.equal(decodeJwt(t).payload.name, 'SPEAKER');
    const newcomer = await s.participant(room, 'speaker', 'speaker');
    assert.equal(newcomer.name, 'speaker_1', 'the name is still held by SPEAKER');
  });

  it("refresh with another participant's name keeps the caller's own reserved name (B4, deviations §3.2)", async () => {
    const t = await s.refresh(
      { roomId: room.roomId, secret: room.secrets.speaker, participantName: 'MODERATOR', participantIdentity: speaker.identity },
      speaker.token,
    );
    const { payload } = decodeJwt(t);
    assert.equal(payload.sub, speaker.identity);
    assert.equal(payload.name, 'SPEAKER', 'no impersonation of MODERATOR through the display name');
  });

  it('an expired token past MEET_PARTICIPANT_REFRESH_GRACE → 400 Invalid participant token', async () => {
    await waitExpired(lateToken.token, GRACE + 1);
    assertError(
      await s.tokenRequest(
        { roomId: lateToken.room.roomId, secret: lateToken.room.secrets.moderator, participantName: 'Late', participantIdentity: lateToken.identity },
        { refresh: true, previous: lateToken.token },
      ),
      400, 'Participant Error', 'Invalid participant token',
    );
  });
});

describe('Admission on refresh (deviations §4)', () => {
  it('refresh in a closed room → 409', async () => {
    const r = await s.createRoom({ roomName: 'closing' });
    const p = await s.participant(r, 'P', 'moderator');
    await s.join(p.token);
    const put = await s.api.put(`/api/v1/rooms/${r.roomId}/status`, { json: { status: 'closed' } });
    // active_meeting → only scheduled (202); end the meeting so it really closes.
    assertStatus(put, 202);
    assertStatus(await s.endMeeting(r.roomId, p.token), 200);
    assert.equal((await s.getRoom(r.roomId)).status, 'closed');
    const res = await s.tokenRequest(
      { roomId: r.roomId, secret: r.secrets.moderator, participantName: 'P', participantIdentity: p.identity },
      { refresh: true, previous: p.token },
    );
    assertError(res, 409, 'Room Error', `Room '${r.roomId}' is closed and cannot be joined`);
  });
});

// Role authority: who a participant is and what it may do is decided by the server's record of its
// identity, never by a token's claims, a display name or a lost registry entry — and that record
// survives departures, name reuse and restarts (kill -9 included).
// Spec: convene-deviations.md §1.5, §2.2, §2.3, §3.5, §5.1; the role-authority issue, items 1–6.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ROLE_UPDATED_TOPIC,
  assertError,
  assertStatus,
  decodeJwt,
  sleep,
  startStack,
  tokenRoles,
} from './support/livekit.mjs';

const INSUFFICIENT = ['Authorization Error', 'Insufficient permissions to access this resource'];
const IDENTITY_FORMAT = /^(.*)-[a-z2-7]{12}$/;

let s;

before(async () => {
  s = await startStack({ conveneEnv: { MEET_RECONCILE_INTERVAL: '1s' } });
});

after(async () => {
  await s?.close();
});

/** Generates a named token; returns {token, identity, name, roles}. */
async function admit(room, role, name, { cookie, identity } = {}) {
  const body = { roomId: room.roomId, secret: room.secrets[role], participantName: name };
  if (identity !== undefined) body.participantIdentity = identity;
  const token = await s.token(body, cookie === undefined ? {} : { cookie });
  const { payload } = decodeJwt(token);
  return { token, identity: payload.sub, name: payload.name, roles: tokenRoles(token) };
}

/** The role grant the target of the last role change received (its signal's `secret`). */
function lastGrant(roomId, identity) {
  const packets = s.dataPackets(roomId, ROLE_UPDATED_TOPIC)
    .filter((p) => p.destinationIdentities.length === 1 && p.destinationIdentities[0] === identity);
  assert.ok(packets.length > 0, `no role signal for ${identity}`);
  const { secret } = JSON.parse(packets.at(-1).data);
  assert.match(secret, /^rg1\./);
  return secret;
}

async function liveRoom(name) {
  const room = await s.createRoom({ roomName: name });
  const host = await admit(room, 'moderator', 'Host');
  await s.join(host.token);
  return { room, host };
}

async function moderatorUrlSeenBy(room, token, role) {
  const res = await s.getRoomAs(room.roomId, token, role);
  assertStatus(res, 200, 'GET room as participant');
  return 'moderatorUrl' in res.body;
}

describe('identities are minted per admission (item 1)', () => {
  it('an identity is the display name plus an opaque suffix, distinct for every holder of a name', async () => {
    const room = await s.createRoom({ roomName: 'ids' });
    const first = await admit(room, 'speaker', 'Alice');
    const second = await admit(room, 'speaker', 'Alice');
    assert.equal(first.name, 'Alice');
    assert.equal(second.name, 'Alice_1');
    assert.equal(IDENTITY_FORMAT.exec(first.identity)?.[1], 'Alice', first.identity);
    assert.equal(IDENTITY_FORMAT.exec(second.identity)?.[1], 'Alice_1', second.identity);
    assert.notEqual(first.identity, second.identity);
  });

  it('name squatting: the next holder of a freed name never gets the previous holder\'s identity or roles', async () => {
    const { room, host } = await liveRoom('squat');
    const alice = await admit(room, 'moderator', 'Alice');
    await s.join(alice.token);
    await s.leave(room.roomId, alice.identity);

    const squatter = await admit(room, 'speaker', 'Alice');
    assert.equal(squatter.name, 'Alice', 'the name itself is free again');
    assert.notEqual(squatter.identity, alice.identity);
    await s.join(squatter.token);

    // The real Alice comes back: moderator secret and her old token as cookie.
    const back = await admit(room, 'moderator', 'Alice', { cookie: alice.token });
    assert.equal(back.identity, alice.identity, 'she keeps her own identity');
    assert.equal(back.name, 'Alice_1', 'under a free name');
    assert.deepEqual(back.roles, ['moderator']);

    // Nothing of hers flowed to the squatter.
    const again = await admit(room, 'speaker', 'Alice', { cookie: squatter.token });
    assert.equal(again.identity, squatter.identity);
    assert.deepEqual(again.roles, ['speaker']);
    assertError(await s.kick(room.roomId, host.identity, again.token, 'moderator'), 403, ...INSUFFICIENT);
    assert.equal(await moderatorUrlSeenBy(room, again.token, 'speaker'), false);
    assert.ok(s.lkIdentities(room.roomId).includes(host.identity), 'the host was not kicked');
  });

  it('a caller-chosen identity that a departed participant\'s tokens still carry is not handed out', async () => {
    const room = await s.createRoom({ roomName: 'chosen' });
    const owner = await admit(room, 'moderator', 'Owner', { identity: 'owner-id' });
    await s.join(owner.token);
    await s.leave(room.roomId, 'owner-id');
    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'X', participantIdentity: 'owner-id' }),
      409, 'Participant Error', `Participant 'owner-id' already exists in room '${room.roomId}'`,
    );
    const back = await admit(room, 'moderator', 'Owner', { identity: 'owner-id', cookie: owner.token });
    assert.equal(back.identity, 'owner-id', 'its holder may have it again');
  });
});

describe('role grants are bound to their identity, version and lifetime (item 2)', () => {
  it('a grant mints tokens only for the identity it was issued to, which never see moderatorUrl', async () => {
    const { room, host } = await liveRoom('grant');
    const bob = await admit(room, 'speaker', 'Bob');
    await s.join(bob.token);
    assertStatus(await s.changeRole(room.roomId, bob.identity, 'moderator', host.token), 200);
    const grant = lastGrant(room.roomId, bob.identity);

    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: grant, participantName: 'Mallory', participantIdentity: 'mallory' }),
      400, 'Room Error', `Secret '${grant}' is not recognized for room '${room.roomId}'`,
    );
    const minted = await s.token({ roomId: room.roomId, secret: grant, participantName: 'Mallory' });
    assert.equal(decodeJwt(minted).payload.sub, bob.identity, 'a new name, the same participant');
    assert.deepEqual(tokenRoles(minted), ['moderator']);
    assert.equal(await moderatorUrlSeenBy(room, minted, 'moderator'), false, 'promoted: no moderatorUrl');
    const refreshed = await s.refresh(
      { roomId: room.roomId, secret: grant, participantName: bob.name, participantIdentity: bob.identity }, bob.token);
    assert.deepEqual(tokenRoles(refreshed), ['moderator']);
    assert.equal(await moderatorUrlSeenBy(room, refreshed, 'moderator'), false);
  });

  it('a demotion voids the grant and every moderator token of the promoted participant', async () => {
    const { room, host } = await liveRoom('demote-grant');
    const cleo = await admit(room, 'speaker', 'Cleo');
    await s.join(cleo.token);
    assertStatus(await s.changeRole(room.roomId, cleo.identity, 'moderator', host.token), 200);
    const grant = lastGrant(room.roomId, cleo.identity);
    const promoted = await s.refresh(
      { roomId: room.roomId, secret: grant, participantName: cleo.name, participantIdentity: cleo.identity }, cleo.token);
    assertStatus(await s.changeRole(room.roomId, cleo.identity, 'speaker', host.token), 200);

    const unrecognized = ['Room Error', `Secret '${grant}' is not recognized for room '${room.roomId}'`];
    assertError(await s.tokenRequest({ roomId: room.roomId, secret: grant, participantName: 'Cleo' }), 400, ...unrecognized);
    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: grant, participantName: cleo.name, participantIdentity: cleo.identity },
        { refresh: true, previous: promoted }),
      400, ...unrecognized,
    );
    assertError(await s.kick(room.roomId, host.identity, promoted, 'moderator'), 403, ...INSUFFICIENT);
    assertError(await s.getRoomAs(room.roomId, promoted, 'moderator'), 403, ...INSUFFICIENT);
  });

  it('the end of the meeting voids the grant', async () => {
    const { room, host } = await liveRoom('end-grant');
    const dan = await admit(room, 'speaker', 'Dan');
    await s.join(dan.token);
    assertStatus(await s.changeRole(room.roomId, dan.identity, 'moderator', host.token), 200);
    const grant = lastGrant(room.roomId, dan.identity);
    assertStatus(await s.endMeeting(room.roomId, host.token), 200);
    await s.settle();
    assertError(await s.tokenRequest({ roomId: room.roomId, secret: grant, participantName: 'Dan' }), 400,
      'Room Error', `Secret '${grant}' is not recognized for room '${room.roomId}'`);
  });

  it('on its own a grant lives MEET_ROLE_GRANT_TTL; later it only refreshes the identity it names', { timeout: 60000 }, async () => {
    const short = await startStack({ conveneEnv: { MEET_ROLE_GRANT_TTL: '1s' } });
    try {
      const room = await short.createRoom({ roomName: 'ttl' });
      const host = await short.participant(room, 'Host', 'moderator');
      await short.join(host.token);
      const eva = await short.participant(room, 'Eva', 'speaker');
      await short.join(eva.token);
      assertStatus(await short.changeRole(room.roomId, eva.identity, 'moderator', host.token), 200);
      const packet = short.dataPackets(room.roomId, ROLE_UPDATED_TOPIC)
        .find((p) => p.destinationIdentities[0] === eva.identity);
      const grant = JSON.parse(packet.data).secret;
      await sleep(2100);
      assertError(await short.tokenRequest({ roomId: room.roomId, secret: grant, participantName: 'Eva' }), 400,
        'Room Error', `Secret '${grant}' is not recognized for room '${room.roomId}'`);
      assertStatus(await short.tokenRequest({ roomId: room.roomId, secret: grant }), 400);
      const refreshed = await short.refresh(
        { roomId: room.roomId, secret: grant, participantName: eva.name, participantIdentity: eva.identity }, eva.token);
      assert.deepEqual(tokenRoles(refreshed), ['moderator'], 'the recorded role, for the identity the grant names');
    } finally {
      await short.close();
    }
  });
});

describe('demotions and bans hold without a registry entry and across restarts (items 3, 4)', () => {
  it('a demoted moderator who left cannot regain moderator with its old token or cookie, also after kill -9', { timeout: 60000 }, async () => {
    const { room, host } = await liveRoom('demoted');
    const carl = await admit(room, 'moderator', 'Carl');
    await s.join(carl.token);
    assertStatus(await s.changeRole(room.roomId, carl.identity, 'speaker', host.token), 200);
    await s.leave(room.roomId, carl.identity);

    const check = async (when) => {
      // The old token lists only moderator, which the record no longer grants: it opens nothing.
      assertError(await s.getRoomAs(room.roomId, carl.token, 'moderator'), 403, ...INSUFFICIENT);
      assertError(await s.kick(room.roomId, host.identity, carl.token, 'moderator'), 403, ...INSUFFICIENT);
      const withSpeaker = await admit(room, 'speaker', 'Carl', { cookie: carl.token });
      assert.equal(withSpeaker.identity, carl.identity);
      assert.deepEqual(withSpeaker.roles, ['speaker'], `${when}: speaker secret + old cookie`);
      const withModerator = await admit(room, 'moderator', 'Carl', { cookie: carl.token });
      assert.deepEqual(withModerator.roles, ['speaker'], `${when}: the moderator secret cannot undo a demotion`);
      assert.equal(await moderatorUrlSeenBy(room, withModerator.token, 'speaker'), false, `${when}: moderatorUrl`);
      assert.ok(s.lkIdentities(room.roomId).includes(host.identity), `${when}: the host is still there`);
    };
    await check('after leaving');
    const killed = await s.convene.kill();
    assert.equal(killed.signal, 'SIGKILL');
    await s.convene.restart();
    await check('after kill -9');
  });

  it('a kicked participant stays banned after kill -9: refresh refused, a rejoin with the old token removed', { timeout: 60000 }, async () => {
    const { room, host } = await liveRoom('banned');
    const kim = await admit(room, 'speaker', 'Kim');
    await s.join(kim.token);
    assertStatus(await s.kick(room.roomId, kim.identity, host.token), 200);
    await s.settle();
    const killed = await s.convene.kill();
    assert.equal(killed.signal, 'SIGKILL');
    await s.convene.restart();

    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: kim.name, participantIdentity: kim.identity },
        { refresh: true, previous: kim.token }),
      403, 'Participant Error', `Participant '${kim.identity}' was removed from room '${room.roomId}'`,
    );
    await s.join(kim.token);
    await s.waitFor(() => !s.lkIdentities(room.roomId).includes(kim.identity), 8000, { label: 'banned rejoin removed' });
    assertError(
      await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Kimberly' }, { cookie: kim.token }),
      403, 'Participant Error', `Participant '${kim.identity}' was removed from room '${room.roomId}'`,
    );
    const other = await admit(room, 'speaker', 'Kim');
    assert.notEqual(other.identity, kim.identity, 'a kicked identity is never handed out again');
  });
});

describe('refused participants are removed until LiveKit confirms (items 5, 6)', () => {
  it('a banned participant whose removal failed is removed by reconciliation once LiveKit works again', { timeout: 60000 }, async () => {
    const { room, host } = await liveRoom('retry');
    const rex = await admit(room, 'speaker', 'Rex');
    await s.join(rex.token);
    assertStatus(await s.kick(room.roomId, rex.identity, host.token), 200);
    await s.settle();
    s.setFaults({ mode: 'error5xx', methods: ['RemoveParticipant'] });
    try {
      await s.join(rex.token);
      await sleep(1500);
      assert.ok(s.lkIdentities(room.roomId).includes(rex.identity), 'still in while removals fail');
    } finally {
      s.setFaults({ mode: 'none' });
    }
    await s.waitFor(() => !s.lkIdentities(room.roomId).includes(rex.identity), 10000, { label: 'removed by reconciliation' });
    assert.ok(s.lkIdentities(room.roomId).includes(host.identity));
  });

  it('a token issued before DELETE /api/v1/rooms/{id} cannot join: its LiveKit room goes, a rejoin is removed', async () => {
    const room = await s.createRoom({ roomName: 'deleted' });
    const early = await admit(room, 'speaker', 'Early');
    assert.ok(s.lkRoom(room.roomId), 'the token request created the LiveKit room');
    assertStatus(await s.api.del(`/api/v1/rooms/${room.roomId}`), 200);
    await s.waitFor(() => s.lkRoom(room.roomId) === null, 5000, { label: 'LiveKit room deleted with the room' });
    await s.join(early.token);  // LiveKit creates the room again on join, as it is configured to
    await s.waitFor(() => !s.lkIdentities(room.roomId).includes(early.identity), 8000, { label: 'refused join removed' });
  });

  it('a delete racing token requests leaves no LiveKit room behind', async () => {
    const room = await s.createRoom({ roomName: 'race' });
    const requests = Array.from({ length: 20 }, (_, i) =>
      s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: `R${i}` }));
    const deleted = s.api.del(`/api/v1/rooms/${room.roomId}`);
    const results = await Promise.all([...requests, deleted]);
    assertStatus(results.at(-1), 200, 'delete');
    for (const res of results.slice(0, -1)) assert.ok([200, 404].includes(res.status), res.text);
    await s.settle();
    await s.waitFor(() => s.lkRoom(room.roomId) === null, 5000, { label: 'no orphan LiveKit room' });
  });

  it('a participant joining a closed room with an older token is removed', async () => {
    const room = await s.createRoom({ roomName: 'closed' });
    const early = await admit(room, 'speaker', 'Early');
    assertStatus(await s.api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } }), 200);
    await s.join(early.token);
    await s.waitFor(() => !s.lkIdentities(room.roomId).includes(early.identity), 8000, { label: 'closed room join removed' });
    assert.equal((await s.getRoom(room.roomId)).status, 'closed');
  });
});

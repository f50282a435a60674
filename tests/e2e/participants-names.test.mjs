// Unique participant names through POST /internal-api/v1/participants/token, with releases driven by
// fake participants joining and leaving the LiveKit emulator.
// Spec: reference-api.md §12 (R1–R11), Appendix B.3 (ported from service level to HTTP);
// convene-deviations.md §3.1–§3.6.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertMintedIdentity, assertValidationIncludes, decodeJwt, startStack } from './support/livekit.mjs';

let s;

before(async () => {
  s = await startStack();
});

after(async () => {
  await s?.close();
});

/**
 * Requests a named speaker token; returns the allocated name (asserting the identity is minted
 * from it). The token is kept under its name, so that release() can join and leave with it.
 */
async function reserve(room, name) {
  const t = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: name });
  const { payload } = decodeJwt(t);
  // The identity is minted from the final display name: `<name>-<12 chars [a-z2-7]>`.
  assertMintedIdentity(payload.sub, payload.name);
  reserve.tokens.set(`${room.roomId}\u0000${payload.name}`, t);
  return payload.name;
}
reserve.tokens = new Map();
const tokenOf = (room, name) => reserve.tokens.get(`${room.roomId}\u0000${name}`);

/** Releases a reserved name the way it happens in production: join, then leave (by identity). */
async function release(room, name) {
  const token = tokenOf(room, name);
  await s.join(token);
  await s.leave(room.roomId, decodeJwt(token).payload.sub);
}

const sortNames = (a) => [...a].sort();
const expectedSeries = (base, n) => [base, ...Array.from({ length: n - 1 }, (_, i) => `${base}_${i + 1}`)];

describe('Reserve unique participant name (B.3)', () => {
  it('should reserve the original name when available', async () => {
    const room = await s.createRoom();
    assert.equal(await reserve(room, 'Participant'), 'Participant');
  });

  it('should treat names as case-insensitive (Participant then participant → participant_1)', async () => {
    const room = await s.createRoom();
    assert.equal(await reserve(room, 'Participant'), 'Participant');
    assert.equal(await reserve(room, 'participant'), 'participant_1');
    assert.equal(await reserve(room, 'PARTICIPANT'), 'PARTICIPANT_2');
  });

  it('should generate alternative names when original is taken', async () => {
    const room = await s.createRoom();
    assert.deepEqual(
      [await reserve(room, 'Participant'), await reserve(room, 'Participant'), await reserve(room, 'Participant')],
      ['Participant', 'Participant_1', 'Participant_2'],
    );
  });

  it('should handle concurrent reservations properly (5 in parallel)', async () => {
    const room = await s.createRoom();
    const names = await Promise.all(Array.from({ length: 5 }, () => reserve(room, 'Concurrent')));
    assert.deepEqual(sortNames(names), sortNames(expectedSeries('Concurrent', 5)));
  });

  it('should reuse numbers when participants disconnect', async () => {
    const room = await s.createRoom();
    for (let i = 0; i < 3; i++) await reserve(room, 'Reuse');
    await release(room, 'Reuse_1');
    assert.equal(await reserve(room, 'Reuse'), 'Reuse_1');
  });

  it('should maintain optimal numbering after multiple releases (_1 and _3 → next two are _1, _3)', async () => {
    const room = await s.createRoom();
    for (let i = 0; i < 5; i++) await reserve(room, 'Opt');
    await release(room, 'Opt_3');
    await release(room, 'Opt_1');
    assert.equal(await reserve(room, 'Opt'), 'Opt_1');
    assert.equal(await reserve(room, 'Opt'), 'Opt_3');
    assert.equal(await reserve(room, 'Opt'), 'Opt_5');
  });

  it('releaseName: a released name is granted again without suffix', async () => {
    const room = await s.createRoom();
    assert.equal(await reserve(room, 'Rel'), 'Rel');
    await release(room, 'Rel');
    assert.equal(await reserve(room, 'Rel'), 'Rel');
  });

  it('should be able to reserve the same name 21 times concurrently', async () => {
    const room = await s.createRoom();
    const names = await Promise.all(Array.from({ length: 21 }, () => reserve(room, 'Same')));
    assert.deepEqual(sortNames(names), sortNames(expectedSeries('Same', 21)));
  });

  it('should handle race condition when reusing released numbers', async () => {
    const room = await s.createRoom();
    await reserve(room, 'Race');
    await reserve(room, 'Race');
    await release(room, 'Race_1');
    const names = await Promise.all([reserve(room, 'Race'), reserve(room, 'Race')]);
    assert.deepEqual(sortNames(names), ['Race_1', 'Race_2']);
  });

  it('should keep names isolated per room', async () => {
    const a = await s.createRoom();
    const b = await s.createRoom();
    assert.equal(await reserve(a, 'Iso'), 'Iso');
    assert.equal(await reserve(b, 'Iso'), 'Iso');
    assert.equal(await reserve(a, 'Iso'), 'Iso_1');
    assert.equal(await reserve(b, 'iso'), 'iso_1');
  });

  it('should treat names case-insensitively (CaseTest then casetest → casetest_1)', async () => {
    const room = await s.createRoom();
    assert.equal(await reserve(room, 'CaseTest'), 'CaseTest');
    assert.equal(await reserve(room, 'casetest'), 'casetest_1');
  });
});

describe('Name rules of Convene (deviations §3.1)', () => {
  it('case folding is ASCII only: non-ASCII letters compare exactly', async () => {
    const room = await s.createRoom();
    assert.equal(await reserve(room, 'Émile'), 'Émile');
    assert.equal(await reserve(room, 'émile'), 'émile', 'É and é are different bytes');
    assert.equal(await reserve(room, 'ÉMILE'), 'ÉMILE_1', 'MILE folds to mile, É stays É');
  });

  it('glob metacharacters are ordinary (R7: "[" no longer fails on the third request)', async () => {
    const room = await s.createRoom();
    assert.deepEqual(
      [await reserve(room, 'a[b'), await reserve(room, 'a[b'), await reserve(room, 'a[b'), await reserve(room, 'a[b')],
      ['a[b', 'a[b_1', 'a[b_2', 'a[b_3'],
    );
    assert.equal(await reserve(room, '*'), '*');
    assert.equal(await reserve(room, 'x'), 'x', '"*" does not match other names');
    assert.equal(await reserve(room, '*'), '*_1');
    assert.equal(await reserve(room, 'x?'), 'x?');
    assert.equal(await reserve(room, 'xy'), 'xy');
    assert.equal(await reserve(room, 'a\\b'), 'a\\b');
    assert.equal(await reserve(room, 'a\\b'), 'a\\b_1');
    assert.equal(await reserve(room, '[a-z]'), '[a-z]');
    assert.equal(await reserve(room, 'q'), 'q');
  });

  it('regex metacharacters are ordinary', async () => {
    const room = await s.createRoom();
    assert.equal(await reserve(room, 'a.b'), 'a.b');
    assert.equal(await reserve(room, 'aXb'), 'aXb');
    assert.equal(await reserve(room, '(.+)_(\\d+)'), '(.+)_(\\d+)');
    assert.equal(await reserve(room, '^$|+'), '^$|+');
    assert.equal(await reserve(room, '^$|+'), '^$|+_1');
    assert.equal(await reserve(room, 'a.b'), 'a.b_1');
  });

  it('a literally typed suffixed name is a name like any other; the lowest free number skips it', async () => {
    const room = await s.createRoom();
    assert.equal(await reserve(room, 'bob_1'), 'bob_1');
    assert.equal(await reserve(room, 'bob'), 'bob');
    assert.equal(await reserve(room, 'bob'), 'bob_2');
    assert.equal(await reserve(room, 'bob_1'), 'bob_1_1');
    assert.equal(await reserve(room, 'BOB'), 'BOB_3');
    // bob_1 leaves: it is now the lowest free number of "bob".
    await release(room, 'bob_1');
    assert.equal(await reserve(room, 'Bob'), 'Bob_1');
  });

  it('leading zeros and spaces are kept verbatim', async () => {
    const room = await s.createRoom();
    assert.equal(await reserve(room, 'x_007'), 'x_007');
    assert.equal(await reserve(room, ' padded  name '), ' padded  name ');
    assert.equal(await reserve(room, ' padded  name '), ' padded  name _1');
    assert.equal(await reserve(room, 'padded name'), 'padded name');
  });

  it('an empty participantName counts as no name (token without join)', async () => {
    const room = await s.createRoom();
    const t = await s.token({ roomId: room.roomId, secret: room.secrets.speaker, participantName: '' });
    const { payload } = decodeJwt(t);
    assert.equal(payload.video.roomJoin, false);
    assert.equal('name' in payload, false);
  });

  it('a name is at most 256 bytes (longer → 422)', async () => {
    const room = await s.createRoom();
    assert.equal(await reserve(room, 'a'.repeat(256)), 'a'.repeat(256));
    assert.equal(await reserve(room, 'é'.repeat(128)), 'é'.repeat(128), '128 × 2 bytes = 256 bytes');
    // The identities minted from them keep within 256 bytes too: the name part is shortened to
    // 256 - 13 = 243 bytes, at a UTF-8 boundary (121 × é = 242 bytes, never half an é).
    const longId = decodeJwt(tokenOf(room, 'a'.repeat(256))).payload.sub;
    assert.match(longId, new RegExp(`^${'a'.repeat(243)}-[a-z2-7]{12}$`));
    const longUtf8Id = decodeJwt(tokenOf(room, 'é'.repeat(128))).payload.sub;
    assert.match(longUtf8Id, new RegExp(`^${'é'.repeat(121)}-[a-z2-7]{12}$`));
    const tooLong = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'a'.repeat(257) });
    assertValidationIncludes(tooLong, { field: 'participantName' });
    const tooLongUtf8 = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'é'.repeat(129) });
    assertValidationIncludes(tooLongUtf8, { field: 'participantName' });
    assert.equal(s.lkIdentities(room.roomId).length, 0);
  });
});

describe('Concurrency (deviations §3.1, R10)', () => {
  it('500 simultaneous requests for the same name in one room → 500 distinct names, all 200', async () => {
    const room = await s.createRoom({ roomName: 'crowd' });
    const results = await Promise.all(Array.from({ length: 500 }, () =>
      s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'Crowd' }, { timeoutMs: 60000 })));
    const bad = results.filter((r) => r.status !== 200);
    assert.equal(bad.length, 0, `non-200 answers: ${bad.slice(0, 3).map((r) => `${r.status} ${r.text}`).join(' | ')}`);
    const names = results.map((r) => decodeJwt(r.body.token).payload.name);
    const ids = new Set(results.map((r) => decodeJwt(r.body.token).payload.sub));
    assert.equal(new Set(names).size, 500, 'all names distinct');
    assert.equal(ids.size, 500, 'all identities distinct');
    assert.deepEqual(sortNames(names), sortNames(expectedSeries('Crowd', 500)), 'lowest free numbers: Crowd, Crowd_1..Crowd_499');
  });

  it('interleaved joins, leaves and new requests never produce a duplicate among present/reserved names', async () => {
    const room = await s.createRoom({ roomName: 'churn' });
    // Display name → identity of the participants joined and not yet asked to leave (identities
    // are minted from the names, so they are not the names themselves).
    const present = new Map();
    const everIssued = [];
    for (let round = 0; round < 8; round++) {
      const leaving = [...present.keys()].slice(0, round % 2 === 0 ? 4 : 7);
      const leaves = leaving.map((name) => s.leave(room.roomId, present.get(name), { wait: false }));
      for (const name of leaving) present.delete(name);
      const requests = Array.from({ length: 12 }, (_, i) =>
        s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: i % 3 === 0 ? 'churn' : 'Churn' }));
      const [answers] = await Promise.all([Promise.all(requests), Promise.all(leaves)]);
      const issued = answers.map((r) => {
        assert.equal(r.status, 200, r.text);
        const { payload } = decodeJwt(r.body.token);
        assertMintedIdentity(payload.sub, payload.name);
        return { token: r.body.token, name: payload.name, identity: payload.sub };
      });
      const folded = issued.map((x) => x.name.toLowerCase());
      assert.equal(new Set(folded).size, folded.length, `round ${round}: duplicate among new names ${folded}`);
      for (const x of issued) {
        assert.ok(![...present.keys()].some((p) => p.toLowerCase() === x.name.toLowerCase()),
          `round ${round}: ${x.name} is held by a present participant`);
      }
      await Promise.all(issued.map((x) => s.join(x.token, { wait: false })));
      for (const x of issued) present.set(x.name, x.identity);
      everIssued.push(...issued.map((x) => x.name));
      await s.settle();
      // Nobody was displaced by a duplicate identity: LiveKit has exactly the expected participants.
      assert.deepEqual(s.lkIdentities(room.roomId), [...present.values()].sort(), `round ${round}`);
    }
    const dup = s.webhooks({ event: 'participant_left', room: room.roomId })
      .filter((w) => w.payload.participant?.disconnectReason === 'DUPLICATE_IDENTITY');
    assert.equal(dup.length, 0, 'no DUPLICATE_IDENTITY disconnects');
    assert.ok(new Set(everIssued).size < everIssued.length, 'released names were handed out again (the churn really released)');
  });
});

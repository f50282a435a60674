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
  it('case folding covers every script: Émile, émile and ÉMILE are one name', async () => {
    const room = await s.createRoom();
    assert.equal(await reserve(room, 'Émile'), 'Émile');
    assert.equal(await reserve(room, 'émile'), 'émile_1');
    assert.equal(await reserve(room, 'ÉMILE'), 'ÉMILE_2');
    assert.equal(await reserve(room, 'Emile'), 'Emile', 'E and É are different letters');
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

describe('Names that only look alike (deviations §3.1: NFKC + case folding)', () => {
  it('look-alikes get a suffix instead of a twin, and each keeps the form it was typed in', async () => {
    const room = await s.createRoom();
    const nfc = 'Ren\u00e9';
    const nfd = 'Rene\u0301';
    assert.notEqual(nfc, nfd);
    assert.equal(await reserve(room, nfc), nfc);
    assert.equal(await reserve(room, nfd), `${nfd}_1`, 'NFD é is NFC é');
    assert.equal(await reserve(room, 'REN\u00c9'), 'REN\u00c9_2');
    assert.equal(await reserve(room, '\uFF21lice'), '\uFF21lice', 'fullwidth Ａ');
    assert.equal(await reserve(room, 'Alice'), 'Alice_1');
    assert.equal(await reserve(room, 'Al\u200Bice'), 'Al\u200Bice_2', 'a zero-width space makes no twin');
    assert.equal(await reserve(room, 'Stra\u00dfe'), 'Stra\u00dfe');
    assert.equal(await reserve(room, 'STRASSE'), 'STRASSE_1', 'ß folds to ss');
    assert.equal(await reserve(room, '\uFB01x'), '\uFB01x');
    assert.equal(await reserve(room, 'FIX'), 'FIX_1', 'the ﬁ ligature is fi');
    assert.equal(await reserve(room, '\u0410lice'), '\u0410lice', 'Cyrillic А is another letter');
    // LiveKit got every name as typed (identity = name).
    const { payload } = decodeJwt(tokenOf(room, `${nfd}_1`));
    assert.equal(payload.name, `${nfd}_1`);
  });

  it('a look-alike\'s released number is reused lowest first', async () => {
    const room = await s.createRoom();
    assert.equal(await reserve(room, 'Zoë'), 'Zoë');
    assert.equal(await reserve(room, 'Zoe\u0308'), 'Zoe\u0308_1');
    assert.equal(await reserve(room, 'ZOË'), 'ZOË_2');
    await release(room, 'Zoe\u0308_1');
    assert.equal(await reserve(room, '\uFF3Aoë'), '\uFF3Aoë_1');
  });

  it('direction marks (LRM/RLM) are accepted and ignored in the comparison', async () => {
    const room = await s.createRoom();
    assert.equal(await reserve(room, 'Dana'), 'Dana');
    assert.equal(await reserve(room, 'Dana\u200F'), 'Dana\u200F_1');
    assert.equal(await reserve(room, '\u200EDana'), '\u200EDana_2');
    assert.equal(await reserve(room, '\u05d3\u05e0\u05d4 (Dana)\u200F'), '\u05d3\u05e0\u05d4 (Dana)\u200F');
  });
});

describe('Characters a name may not contain (deviations §3.1)', () => {
  const invalid = (message) => ({
    error: 'Unprocessable Entity',
    message: 'Invalid request',
    details: [{ field: 'participantName', message }],
  });
  const CONTROL = 'participantName cannot contain control characters';
  const BIDI = 'participantName cannot contain bidirectional override or isolate characters';

  async function expectRefused(room, name, message, { refresh = false } = {}) {
    const res = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: name,
      ...(refresh ? { participantIdentity: 'x' } : {}) }, { refresh });
    assert.equal(res.status, 422, `${JSON.stringify(name)}: ${res.text}`);
    assert.deepEqual(res.body, invalid(message), JSON.stringify(name));
  }

  it('NUL, C0 and C1 control characters, DEL and line separators → 422', async () => {
    const room = await s.createRoom();
    for (const name of ['a\u0000b', '\u0000', 'tab\tx', 'new\nline', 'cr\rx', 'x\u001f', 'del\u007f', 'nel\u0085',
      '\u009f', 'line\u2028sep', 'para\u2029sep']) {
      await expectRefused(room, name, CONTROL);
    }
    assert.equal(s.lkIdentities(room.roomId).length, 0);
  });

  it('bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) → 422', async () => {
    const room = await s.createRoom();
    for (const cp of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) {
      await expectRefused(room, `Alice${String.fromCodePoint(cp)}evil`, BIDI);
    }
  });

  it('refresh refuses them too (validation comes before the auth gate)', async () => {
    const room = await s.createRoom();
    await expectRefused(room, 'a\nb', CONTROL, { refresh: true });
    await expectRefused(room, 'a\u202eb', BIDI, { refresh: true });
  });

  it('the length limit is checked first; other fields\' problems are reported alongside', async () => {
    const room = await s.createRoom();
    const res = await s.tokenRequest({ roomId: room.roomId, secret: '', participantName: '\u202e'.repeat(100) });
    assert.equal(res.status, 422);
    assert.deepEqual(res.body.details, [
      { field: 'secret', message: 'Secret is required' },
      { field: 'participantName', message: 'participantName cannot exceed 256 characters' },
    ]);
  });

  it('a lone surrogate is not UTF-8: the body is malformed (400)', async () => {
    const room = await s.createRoom();
    const res = await s.tokenRequest({ roomId: room.roomId, secret: room.secrets.speaker, participantName: 'a\ud800b' });
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(res.body, { error: 'Bad Request', message: 'Malformed body' });
  });
});

describe('Long names: lowest free number at every length (issue item 11)', () => {
  it('255–256-byte names: numbers of shortened candidates come back lowest first', async () => {
    const room = await s.createRoom();
    const name = 'x'.repeat(256);
    const one = 'x'.repeat(254); // base of _1.._9
    const two = 'x'.repeat(253); // base of _10.._99
    assert.equal(await reserve(room, name), name);
    for (let n = 1; n <= 11; n++) assert.equal(await reserve(room, name), `${n < 10 ? one : two}_${n}`);
    await release(room, `${one}_1`);
    assert.equal(await reserve(room, name), `${one}_1`, 'after _1 is released the next is _1 (was _12)');
    await release(room, `${one}_3`);
    await release(room, `${two}_10`);
    assert.equal(await reserve(room, name), `${one}_3`);
    assert.equal(await reserve(room, name), `${two}_10`);
    assert.equal(await reserve(room, name), `${two}_12`);
  });

  it('multi-byte 256-byte names are cut at a character and reuse their numbers', async () => {
    const room = await s.createRoom();
    const name = 'é'.repeat(128);
    const base = 'é'.repeat(127);
    assert.equal(await reserve(room, name), name);
    assert.equal(await reserve(room, name), `${base}_1`);
    assert.equal(await reserve(room, name), `${base}_2`);
    await release(room, `${base}_1`);
    assert.equal(await reserve(room, 'É'.repeat(128)), `${'É'.repeat(127)}_1`, 'case-folded look-alike, same pool');
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

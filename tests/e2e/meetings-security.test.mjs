// Who may call the meetings routes, and participant access to GET /api/v1/rooms/{roomId}[/config].
// Spec: reference-api.md §2.4, §3.1 (PARTICIPANT validator), §4.1 (GET room), §4.4, §9.5, §10.10;
// Appendix B.8 (ported); convene-deviations.md §1.2, §2.3.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  API_KEY,
  assertError,
  assertStatus,
  assertValidationIncludes,
  nowSeconds,
  request,
  signJwt,
  startStack,
} from './support/livekit.mjs';
import { adminSession } from './support/convene.mjs';

const UNAUTHORIZED = ['Authentication Error', 'Unauthorized'];
const INVALID_TOKEN = ['Authentication Error', 'Invalid token'];
const INSUFFICIENT = ['Authorization Error', 'Insufficient permissions to access this resource'];
const NO_ROLE = ['Participant Error', 'No valid participant role provided'];

let s;
let room;
let otherRoom;
let mod;
let spk;
let otherMod;
let admin; // admin session (access token; switches the transport mode)
let kickTarget = 'TARGET'; // identity of the participant the kick endpoint removes

before(async () => {
  s = await startStack();
  admin = await adminSession(s.convene);
  room = await s.createRoom({ roomName: 'secure' });
  otherRoom = await s.createRoom({ roomName: 'other' });
  mod = await s.participant(room, 'MODERATOR', 'moderator');
  spk = await s.participant(room, 'SPEAKER', 'speaker');
  otherMod = await s.participant(otherRoom, 'MODERATOR', 'moderator');
  await s.join(mod.token);
  await s.join(spk.token);
});

after(async () => {
  await s?.close();
});

// Each endpoint, with a fresh target so that the successful call has something to act on.
const endpoints = [
  {
    name: 'Update Participant in Meeting Tests',
    // The target is addressed by its identity (minted from the name SPEAKER), not by its name.
    call: (roomId, headers, q = '') => request(s.convene.url, 'PUT', `/internal-api/v1/meetings/${roomId}/participants/${encodeURIComponent(spk.identity)}/role${q}`, { headers, json: { role: 'moderator' } }),
    ok: () => ({ message: `Participant '${spk.identity}' role updated to 'moderator'` }),
    prepare: async () => {},
  },
  {
    name: 'Kick Participant from Meeting Tests',
    // A kicked identity stays banned until the meeting ends (deviations §5.1); every target gets an
    // identity of its own (minted per admission), which is the one kicked.
    call: (roomId, headers, q = '') => request(s.convene.url, 'DELETE', `/internal-api/v1/meetings/${roomId}/participants/${encodeURIComponent(kickTarget)}${q}`, { headers }),
    ok: () => ({ message: `Participant '${kickTarget}' kicked successfully from room '${room.roomId}'` }),
    prepare: async () => {
      const target = await s.participant(room, 'TARGET', 'speaker');
      await s.join(target.token);
      kickTarget = target.identity;
    },
  },
  {
    name: 'End Meeting Tests',
    call: (roomId, headers, q = '') => request(s.convene.url, 'DELETE', `/internal-api/v1/meetings/${roomId}${q}`, { headers }),
    ok: () => ({ message: `Meeting in room '${room.roomId}' ended successfully` }),
    prepare: async () => {},
  },
];

const asParticipant = (token, role) => ({ 'x-participant-token': `Bearer ${token}`, 'x-participant-role': role });

for (const ep of endpoints) {
  describe(`${ep.name} (B.8)`, () => {
    it('should fail when request includes API key (401)', async () => {
      assertError(await ep.call(room.roomId, { 'x-api-key': API_KEY }), 401, ...UNAUTHORIZED);
    });

    it('should fail when only an Authorization bearer (access-token style) is sent (401)', async () => {
      const res = await ep.call(room.roomId, { authorization: `Bearer ${mod.token}` });
      assertError(res, 401, ...UNAUTHORIZED);
    });

    it('should fail when user is authenticated as admin (401)', async () => {
      assertError(await ep.call(room.roomId, { authorization: `Bearer ${admin.accessToken}` }), 401, ...UNAUTHORIZED);
      assertError(await ep.call(room.roomId, {}, `?accessToken=${admin.accessToken}`), 401, ...UNAUTHORIZED);
    });

    it('should fail when the admin is authenticated by cookie in cookie mode (401)', async () => {
      await admin.setSecurity({ transport: 'cookie' });
      try {
        assertError(await ep.call(room.roomId, { cookie: `OvMeetAccessToken=${admin.accessToken}` }), 401, ...UNAUTHORIZED);
      } finally {
        await admin.setSecurity({ transport: 'header' });
      }
    });

    it('should fail when participant is moderator of a different room (403)', async () => {
      assertError(await ep.call(room.roomId, asParticipant(otherMod.token, 'moderator')), 403, ...INSUFFICIENT);
    });

    it('should fail when participant is speaker (403)', async () => {
      assertError(await ep.call(room.roomId, asParticipant(spk.token, 'speaker')), 403, ...INSUFFICIENT);
    });

    it('a speaker claiming the moderator role in the header → 403 (role not in the token)', async () => {
      assertError(await ep.call(room.roomId, asParticipant(spk.token, 'moderator')), 403, ...INSUFFICIENT);
    });

    it('no token → 401 Unauthorized', async () => {
      assertError(await ep.call(room.roomId, { 'x-participant-role': 'moderator' }), 401, ...UNAUTHORIZED);
      assertError(await ep.call(room.roomId, {}), 401, ...UNAUTHORIZED);
    });

    it('bad token → 401 Invalid token (garbage, wrong signature, expired)', async () => {
      assertError(await ep.call(room.roomId, asParticipant('garbage', 'moderator')), 401, ...INVALID_TOKEN);
      const payload = { ...JSON.parse(Buffer.from(mod.token.split('.')[1], 'base64url').toString()) };
      assertError(await ep.call(room.roomId, asParticipant(signJwt(payload, { secret: 'wrong' }), 'moderator')), 401, ...INVALID_TOKEN);
      assertError(
        await ep.call(room.roomId, asParticipant(signJwt({ ...payload, exp: nowSeconds() - 5 }), 'moderator')),
        401, ...INVALID_TOKEN,
      );
    });

    it('missing or invalid x-participant-role → 400 No valid participant role provided', async () => {
      assertError(await ep.call(room.roomId, { 'x-participant-token': `Bearer ${mod.token}` }), 400, ...NO_ROLE);
      assertError(await ep.call(room.roomId, asParticipant(mod.token, 'admin')), 400, ...NO_ROLE);
      assertError(await ep.call(room.roomId, asParticipant(mod.token, 'MODERATOR')), 400, ...NO_ROLE);
    });

    it('a properly signed token whose metadata is not MeetTokenMetadata → 400 Invalid participant token', async () => {
      const payload = JSON.parse(Buffer.from(mod.token.split('.')[1], 'base64url').toString());
      const bad = signJwt({ ...payload, metadata: '{"roles":"nope"}' });
      assertError(await ep.call(room.roomId, asParticipant(bad, 'moderator')), 400, 'Participant Error', 'Invalid participant token');
    });

    it('authentication runs before roomId validation (401), validation before the moderator check (422)', async () => {
      assertError(await ep.call('%21%21%21', {}), 401, ...UNAUTHORIZED);
      assertValidationIncludes(await ep.call('%21%21%21', asParticipant(mod.token, 'moderator')), { field: 'roomId', message: 'roomId cannot be empty after sanitization' });
    });

    it('should succeed when participant is moderator', async () => {
      await ep.prepare();
      const res = await ep.call(room.roomId, asParticipant(mod.token, 'moderator'));
      assertStatus(res, 200);
      assert.deepEqual(res.body, ep.ok());
    });

    it('should succeed when participant is moderator and token is sent in cookie', async () => {
      await ep.prepare();
      await admin.setSecurity({ transport: 'cookie' });
      try {
        const res = await ep.call(room.roomId, { cookie: `OvMeetParticipantToken=${mod.token}`, 'x-participant-role': 'moderator' });
        assertStatus(res, 200);
        assert.deepEqual(res.body, ep.ok());
      } finally {
        await admin.setSecurity({ transport: 'header' });
      }
    });

    it('cookie mode ignores the x-participant-token header (401)', async () => {
      await admin.setSecurity({ transport: 'cookie' });
      try {
        assertError(await ep.call(room.roomId, asParticipant(mod.token, 'moderator')), 401, ...UNAUTHORIZED);
      } finally {
        await admin.setSecurity({ transport: 'header' });
      }
    });
  });
}

describe('Participant access to GET /api/v1/rooms/{roomId} and /config (§4.1, §9.5)', () => {
  let r;
  let m;
  let sp;
  before(async () => {
    r = await s.createRoom({ roomName: 'readable' });
    m = await s.participant(r, 'M', 'moderator');
    sp = await s.participant(r, 'S', 'speaker');
  });

  it('a moderator (by secret) sees the whole room including moderatorUrl', async () => {
    const res = await s.getRoomAs(r.roomId, m.token, 'moderator');
    assertStatus(res, 200);
    assert.deepEqual(res.body, await s.getRoom(r.roomId));
  });

  it('a moderator token without a name (pre-join) also reads the room', async () => {
    const pre = await s.token({ roomId: r.roomId, secret: r.secrets.moderator });
    const res = await s.getRoomAs(r.roomId, pre, 'moderator');
    assertStatus(res, 200);
    assert.equal(res.body.moderatorUrl, r.moderatorUrl);
  });

  it('a speaker never sees moderatorUrl', async () => {
    const res = await s.getRoomAs(r.roomId, sp.token, 'speaker');
    assertStatus(res, 200);
    const expected = { ...(await s.getRoom(r.roomId)) };
    delete expected.moderatorUrl;
    assert.deepEqual(res.body, expected);
  });

  it('GET /config as moderator and speaker → the config only', async () => {
    for (const [t, role] of [[m.token, 'moderator'], [sp.token, 'speaker']]) {
      const res = await s.getRoomAs(r.roomId, t, role, '/config');
      assertStatus(res, 200);
      assert.deepEqual(res.body, r.config);
    }
  });

  it('a participant token for another room → 403 on GET room and GET config', async () => {
    const other = await s.participant(otherRoom, 'X', 'moderator');
    assertError(await s.getRoomAs(r.roomId, other.token, 'moderator'), 403, ...INSUFFICIENT);
    assertError(await s.getRoomAs(r.roomId, other.token, 'moderator', '/config'), 403, ...INSUFFICIENT);
  });

  it('a speaker claiming moderator → 403; no role header → 400; bad token → 401', async () => {
    assertError(await s.getRoomAs(r.roomId, sp.token, 'moderator'), 403, ...INSUFFICIENT);
    assertError(await s.getRoomAs(r.roomId, sp.token, undefined), 400, ...NO_ROLE);
    assertError(await s.getRoomAs(r.roomId, 'junk', 'speaker'), 401, ...INVALID_TOKEN);
  });

  it('participants cannot use the API-key-only room routes (401)', async () => {
    const h = asParticipant(m.token, 'moderator');
    assertError(await request(s.convene.url, 'PUT', `/api/v1/rooms/${r.roomId}/config`, { headers: h, json: { config: r.config } }), 401, ...UNAUTHORIZED);
    assertError(await request(s.convene.url, 'PUT', `/api/v1/rooms/${r.roomId}/status`, { headers: h, json: { status: 'closed' } }), 401, ...UNAUTHORIZED);
    assertError(await request(s.convene.url, 'DELETE', `/api/v1/rooms/${r.roomId}`, { headers: h }), 401, ...UNAUTHORIZED);
    assertError(await request(s.convene.url, 'GET', '/api/v1/rooms', { headers: h }), 401, ...UNAUTHORIZED);
    assertStatus(await s.api.get(`/api/v1/rooms/${r.roomId}`), 200, 'the room is untouched');
  });

  it('a participant token never authenticates as a user (deviations §1.2)', async () => {
    // Identity "admin" chosen by the caller: not an access token.
    const t = await s.token({ roomId: r.roomId, secret: r.secrets.speaker, participantName: 'admin', participantIdentity: 'admin' });
    const res = await request(s.convene.url, 'GET', '/api/v1/rooms', { headers: { authorization: `Bearer ${t}` } });
    assert.ok(res.status === 401 || res.status === 403, res.text);
    assert.equal(res.body.error === 'Authentication Error' || res.body.error === 'Authorization Error', true, res.text);
  });
});

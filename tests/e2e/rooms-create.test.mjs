// POST /api/v1/rooms: defaults, sanitising, validation messages, auth order and concurrency.
// Spec: reference-api.md §2.2–§2.4, §3.1, §4.1 (POST), §5.1–§5.3, §6.1, §6.3, §6.4;
// convene-deviations.md §4 (maxParticipants), §7.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, request, startConvene } from './support/convene.mjs';
import {
  DEFAULT_CONFIG,
  DEFAULT_POLICY,
  assertError,
  assertStatus,
  assertValidation,
  assertValidationIncludes,
  createRoom,
  expectedRoomKeys,
  listAllRooms,
  roomIdPattern,
  secretOf,
} from './support/rooms.mjs';

const HOUR = 3600 * 1000;

let server;
let api;

before(async () => {
  server = await startConvene();
  api = apiClient(server);
});

after(async () => {
  await server?.close();
});

describe('POST /api/v1/rooms — defaults', () => {
  it('creates a room with every default and a Location header', async () => {
    const t0 = Date.now();
    const res = await api.post('/api/v1/rooms', { json: {} });
    const t1 = Date.now();
    assertStatus(res, 201);
    assert.match(res.headers.get('content-type'), /application\/json/);
    const room = res.body;
    assert.deepEqual(Object.keys(room), expectedRoomKeys(), 'keys and their order (§5.1)');
    assert.match(room.roomId, roomIdPattern('Room'));
    assert.equal(room.roomName, 'Room');
    assert.equal(typeof room.creationDate, 'number');
    assert.ok(room.creationDate >= t0 - 1000 && room.creationDate <= t1 + 1000, 'creationDate is now (ms epoch)');
    assert.deepEqual(room.autoDeletionPolicy, DEFAULT_POLICY);
    assert.deepEqual(room.config, DEFAULT_CONFIG);
    assert.equal(room.status, 'open');
    assert.equal(room.meetingEndAction, 'none');
    const urlRe = new RegExp(`^${server.url.replace(/\./g, '\\.')}/room/${room.roomId}\\?secret=[0-9a-f]{10}$`);
    assert.match(room.moderatorUrl, urlRe);
    assert.match(room.speakerUrl, urlRe);
    assert.notEqual(secretOf(room.moderatorUrl), secretOf(room.speakerUrl));
    assert.equal(res.headers.get('location'), `${server.url}/api/v1/rooms/${room.roomId}`);
  });

  it('the created room is what GET returns', async () => {
    const room = await createRoom(api, { roomName: 'Same As Get' });
    const res = await api.get(`/api/v1/rooms/${room.roomId}`);
    assertStatus(res, 200);
    assert.deepEqual(res.body, room);
    assert.deepEqual(Object.keys(res.body), Object.keys(room));
  });

  it('accepts a request without a body (all fields optional)', async () => {
    const res = await api.post('/api/v1/rooms');
    assertStatus(res, 201);
    assert.equal(res.body.roomName, 'Room');
    assert.match(res.body.roomId, roomIdPattern('Room'));
  });

  it('accepts an empty JSON body with a JSON content type', async () => {
    const res = await api.post('/api/v1/rooms', { body: '', headers: { 'content-type': 'application/json' } });
    assertStatus(res, 201);
    assert.equal(res.body.roomName, 'Room');
  });

  it('accepts application/json with a charset parameter', async () => {
    const res = await api.post('/api/v1/rooms', {
      body: JSON.stringify({ roomName: 'Charset' }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    assertStatus(res, 201);
    assert.equal(res.body.roomName, 'Charset');
  });

  it('accepts an application/x-www-form-urlencoded body (§2.1)', async () => {
    const res = await api.post('/api/v1/rooms', {
      body: 'roomName=Form%20Room',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assertStatus(res, 201);
    assert.equal(res.body.roomName, 'Form Room');
    assert.match(res.body.roomId, roomIdPattern('FormRoom'));
  });

  it('each room gets its own secrets', async () => {
    const a = await createRoom(api, { roomName: 'twin' });
    const b = await createRoom(api, { roomName: 'twin' });
    assert.notEqual(a.roomId, b.roomId);
    const secrets = new Set([a.moderatorUrl, a.speakerUrl, b.moderatorUrl, b.speakerUrl].map(secretOf));
    assert.equal(secrets.size, 4);
  });
});

describe('POST /api/v1/rooms — roomName sanitising (§6.1, §6.3)', () => {
  const cases = [
    ['   .,-------}{¡$#<+My Room *123  ', 'My Room 123', 'MyRoom123'],
    [' =Example Room&/ ', 'Example Room', 'ExampleRoom'],
    ['Room !', 'Room ', 'Room'],
    ['__my--room__', 'my-room', 'my-room'],
    ['a\t\n  b', 'a b', 'ab'],
    ['Café', 'Caf', 'Caf'],
    ['x__y---z', 'x_y-z', 'x_y-z'],
    ['', '', 'room'],
    ['!!!', '', 'room'],
  ];
  for (const [input, name, idPrefix] of cases) {
    it(`${JSON.stringify(input)} → roomName ${JSON.stringify(name)}, roomId ${JSON.stringify(idPrefix)}-<hex>`, async () => {
      const room = await createRoom(api, { roomName: input });
      assert.equal(room.roomName, name);
      assert.match(room.roomId, roomIdPattern(idPrefix));
      if (idPrefix !== '') {
        const got = await api.get(`/api/v1/rooms/${encodeURIComponent(room.roomId)}`);
        assertStatus(got, 200);
        assert.equal(got.body.roomId, room.roomId, 'the generated id is reachable');
      }
    });
  }

  // §6.3 literally gives '-name-' + '-' + hex for this name, an id that GET /rooms/{roomId} can never
  // find (the path sanitiser strips the leading '-'). Convene re-sanitises the prefix until stable so
  // every id with a non-empty prefix is reachable; this is not (yet) listed in convene-deviations.md.
  it('"-_-name-_-" → roomName "-name-", and a roomId that GET can reach', async () => {
    const room = await createRoom(api, { roomName: '-_-name-_-' });
    assert.equal(room.roomName, '-name-');
    assert.match(room.roomId, roomIdPattern('name'));
    assertStatus(await api.get(`/api/v1/rooms/${room.roomId}`), 200);
  });

  // The reference would give "-<hex>", which every {roomId} route sanitises to "<hex>": such a room
  // could never be read or deleted. Convene names the id "room-<hex>" instead (README, deviations).
  it('a room created with an empty name can be fetched and deleted by its id', async () => {
    const room = await createRoom(api, { roomName: '!!!' });
    assert.match(room.roomId, roomIdPattern('room'));
    assertStatus(await api.get(`/api/v1/rooms/${room.roomId}`), 200);
    assertStatus(await api.del(`/api/v1/rooms/${room.roomId}`), 200);
  });

  it('accepts exactly 50 characters', async () => {
    const name = 'n'.repeat(50);
    const room = await createRoom(api, { roomName: name });
    assert.equal(room.roomName, name);
    assert.match(room.roomId, roomIdPattern(name));
  });

  it('rejects 51 characters', async () => {
    const res = await api.post('/api/v1/rooms', { json: { roomName: 'n'.repeat(51) } });
    assertValidation(res, [{ field: 'roomName', message: 'roomName cannot exceed 50 characters' }]);
  });

  it('checks the length on the raw name, before sanitising', async () => {
    const res = await api.post('/api/v1/rooms', { json: { roomName: `${'!'.repeat(45)}abcdef` } });
    assertValidation(res, [{ field: 'roomName', message: 'roomName cannot exceed 50 characters' }]);
  });

  it('measures length in UTF-16 code units, as JavaScript does', async () => {
    assertValidation(await api.post('/api/v1/rooms', { json: { roomName: '😀'.repeat(26) } }),
      [{ field: 'roomName', message: 'roomName cannot exceed 50 characters' }]);
    assertValidation(await api.post('/api/v1/rooms', { json: { roomName: 'é'.repeat(51) } }),
      [{ field: 'roomName', message: 'roomName cannot exceed 50 characters' }]);
    const ok = await createRoom(api, { roomName: `${'😀'.repeat(24)}ok` });
    assert.equal(ok.roomName, 'ok');
    const ok2 = await createRoom(api, { roomName: `${'é'.repeat(48)}ok` });
    assert.equal(ok2.roomName, 'ok');
  });

  it('removes control characters such as NUL', async () => {
    const room = await createRoom(api, { roomName: 'a\u0000b\u0007c' });
    assert.equal(room.roomName, 'abc');
  });

  it('rejects a non-string roomName', async () => {
    const res = await api.post('/api/v1/rooms', { json: { roomName: 12345 } });
    assertValidation(res, [{ field: 'roomName', message: 'Expected string, received number' }]);
    const res2 = await api.post('/api/v1/rooms', { json: { roomName: false } });
    assertValidation(res2, [{ field: 'roomName', message: 'Expected string, received boolean' }]);
  });
});

describe('POST /api/v1/rooms — autoDeletionDate', () => {
  it('stores a valid date and reports it after creationDate', async () => {
    const date = Date.now() + 2 * HOUR;
    const room = await createRoom(api, { roomName: 'dated', autoDeletionDate: date });
    assert.equal(room.autoDeletionDate, date);
    assert.deepEqual(Object.keys(room), expectedRoomKeys({ withDate: true }));
    assert.deepEqual(room.autoDeletionPolicy, DEFAULT_POLICY);
    const got = await api.get(`/api/v1/rooms/${room.roomId}`);
    assert.equal(got.body.autoDeletionDate, date);
  });

  it('rejects a date less than 1h in the future', async () => {
    const res = await api.post('/api/v1/rooms', { json: { autoDeletionDate: Date.now() + 30 * 60 * 1000 } });
    assertValidation(res, [{ field: 'autoDeletionDate', message: 'autoDeletionDate must be at least 1h in the future' }]);
  });

  it('rejects a negative date with the positive-integer message', async () => {
    const res = await api.post('/api/v1/rooms', { json: { autoDeletionDate: -5000 } });
    assertValidationIncludes(res, { field: 'autoDeletionDate', message: 'autoDeletionDate must be a positive integer' });
    for (const d of res.body.details) assert.equal(d.field, 'autoDeletionDate');
  });

  it('rejects zero with the positive-integer message', async () => {
    const res = await api.post('/api/v1/rooms', { json: { autoDeletionDate: 0 } });
    assertValidationIncludes(res, { field: 'autoDeletionDate', message: 'autoDeletionDate must be a positive integer' });
  });

  it('rejects null', async () => {
    const res = await api.post('/api/v1/rooms', { json: { autoDeletionDate: null } });
    assertValidation(res, [{ field: 'autoDeletionDate', message: 'Expected number, received null' }]);
  });

  it('rejects a string and a boolean', async () => {
    const res = await api.post('/api/v1/rooms', { json: { autoDeletionDate: 'not-a-number' } });
    assertValidation(res, [{ field: 'autoDeletionDate', message: 'Expected number, received string' }]);
    const res2 = await api.post('/api/v1/rooms', { json: { autoDeletionDate: String(Date.now() + 2 * HOUR) } });
    assertValidation(res2, [{ field: 'autoDeletionDate', message: 'Expected number, received string' }]);
    const res3 = await api.post('/api/v1/rooms', { json: { autoDeletionDate: true } });
    assertValidation(res3, [{ field: 'autoDeletionDate', message: 'Expected number, received boolean' }]);
  });

  it('round-trips the largest valid JavaScript date exactly', async () => {
    const room = await createRoom(api, { autoDeletionDate: 8.64e15 });
    assert.equal(room.autoDeletionDate, 8.64e15);
  });

  it('rejects a date no JavaScript Date can hold instead of storing another one', async () => {
    const res = await api.post('/api/v1/rooms', { body: '{"autoDeletionDate":1e20}', headers: { 'content-type': 'application/json' } });
    assertValidation(res, [{ field: 'autoDeletionDate', message: 'autoDeletionDate must be a valid date' }]);
  });

  it('does not reject a non-integer date', async () => {
    const date = Date.now() + 2 * HOUR + 0.5;
    const res = await api.post('/api/v1/rooms', { json: { autoDeletionDate: date } });
    assertStatus(res, 201);
    assert.ok(Math.abs(res.body.autoDeletionDate - date) < 1, `got ${res.body.autoDeletionDate}`);
  });
});

describe('POST /api/v1/rooms — autoDeletionPolicy', () => {
  it('stores a custom policy', async () => {
    const policy = { withMeeting: 'force', withRecordings: 'force' };
    const room = await createRoom(api, { autoDeletionDate: Date.now() + 2 * HOUR, autoDeletionPolicy: policy });
    assert.deepEqual(room.autoDeletionPolicy, policy);
  });

  it('stores a policy without a date', async () => {
    const policy = { withMeeting: 'when_meeting_ends', withRecordings: 'force' };
    const room = await createRoom(api, { autoDeletionPolicy: policy });
    assert.deepEqual(room.autoDeletionPolicy, policy);
    assert.equal('autoDeletionDate' in room, false);
  });

  it('rejects FAIL for withMeeting', async () => {
    const res = await api.post('/api/v1/rooms', {
      json: { autoDeletionPolicy: { withMeeting: 'fail', withRecordings: 'close' } },
    });
    assertValidation(res, [{
      field: 'autoDeletionPolicy.withMeeting',
      message: 'FAIL policy is not allowed for withMeeting auto-deletion policy',
    }]);
  });

  it('rejects FAIL for withRecordings', async () => {
    const res = await api.post('/api/v1/rooms', {
      json: { autoDeletionPolicy: { withMeeting: 'force', withRecordings: 'fail' } },
    });
    assertValidation(res, [{
      field: 'autoDeletionPolicy.withRecordings',
      message: 'FAIL policy is not allowed for withRecordings auto-deletion policy',
    }]);
  });

  it('requires both fields when the object is given', async () => {
    const res = await api.post('/api/v1/rooms', { json: { autoDeletionPolicy: { withMeeting: 'force' } } });
    assertValidation(res, [{ field: 'autoDeletionPolicy.withRecordings', message: 'Required' }]);
  });

  it('rejects unknown enum values', async () => {
    const res = await api.post('/api/v1/rooms', {
      json: { autoDeletionPolicy: { withMeeting: 'x', withRecordings: 'close' } },
    });
    assertValidationIncludes(res, {
      field: 'autoDeletionPolicy.withMeeting',
      message: "Invalid enum value. Expected 'force' | 'when_meeting_ends' | 'fail', received 'x'",
    });
    const res2 = await api.post('/api/v1/rooms', {
      json: { autoDeletionPolicy: { withMeeting: 'force', withRecordings: 'y' } },
    });
    assertValidationIncludes(res2, {
      field: 'autoDeletionPolicy.withRecordings',
      message: "Invalid enum value. Expected 'force' | 'close' | 'fail', received 'y'",
    });
  });
});

describe('POST /api/v1/rooms — config', () => {
  it('stores a full custom config', async () => {
    const config = {
      recording: { enabled: false },
      chat: { enabled: false },
      virtualBackground: { enabled: true },
    };
    const date = Date.now() + 2 * HOUR;
    const room = await createRoom(api, { roomName: ' =Example Room&/ ', autoDeletionDate: date, config });
    assert.deepEqual(room.config, config);
    assert.equal(room.roomName, 'Example Room');
    assert.equal(room.autoDeletionDate, date);
  });

  for (const access of ['admin', 'admin_moderator', 'admin_moderator_speaker']) {
    it(`stores recording.allowAccessTo=${access}`, async () => {
      const config = {
        recording: { enabled: true, allowAccessTo: access },
        chat: { enabled: true },
        virtualBackground: { enabled: false },
      };
      const room = await createRoom(api, { config });
      assert.deepEqual(room.config, config);
    });
  }

  it('requires every section when config is given', async () => {
    const res = await api.post('/api/v1/rooms', {
      json: { config: { recording: { enabled: false }, virtualBackground: { enabled: true } } },
    });
    assertValidation(res, [{ field: 'config.chat', message: 'Required' }]);
    const res2 = await api.post('/api/v1/rooms', { json: { config: {} } });
    assertValidation(res2, [
      { field: 'config.recording', message: 'Required' },
      { field: 'config.chat', message: 'Required' },
      { field: 'config.virtualBackground', message: 'Required' },
    ]);
  });

  it('requires allowAccessTo when recording is enabled', async () => {
    const res = await api.post('/api/v1/rooms', {
      json: { config: { recording: { enabled: true }, chat: { enabled: true }, virtualBackground: { enabled: true } } },
    });
    assertValidation(res, [{
      field: 'config.recording.allowAccessTo',
      message: 'allowAccessTo is required when recording is enabled',
    }]);
  });

  it('rejects wrong types inside config', async () => {
    const res = await api.post('/api/v1/rooms', {
      json: { config: { recording: { enabled: 'yes' }, chat: { enabled: true }, virtualBackground: { enabled: true } } },
    });
    assertValidationIncludes(res, { field: 'config.recording.enabled', message: 'Expected boolean, received string' });
    const res2 = await api.post('/api/v1/rooms', { json: { config: 'invalid-config' } });
    assertValidation(res2, [{ field: 'config', message: 'Expected object, received string' }]);
    const res3 = await api.post('/api/v1/rooms', {
      json: { config: { recording: { enabled: true, allowAccessTo: 'everyone' }, chat: { enabled: true }, virtualBackground: { enabled: true } } },
    });
    assertValidationIncludes(res3, {
      field: 'config.recording.allowAccessTo',
      message: "Invalid enum value. Expected 'admin' | 'admin_moderator' | 'admin_moderator_speaker', received 'everyone'",
    });
  });

  it('keeps allowAccessTo when recording is disabled', async () => {
    const config = { recording: { enabled: false, allowAccessTo: 'admin' }, chat: { enabled: true }, virtualBackground: { enabled: true } };
    const room = await createRoom(api, { config });
    assert.deepEqual(room.config, config);
  });

  it('drops unknown keys at every level', async () => {
    const res = await api.post('/api/v1/rooms', {
      json: {
        roomName: 'extra',
        foo: 'bar',
        status: 'closed',
        roomId: 'chosen-id',
        config: {
          recording: { enabled: false, bogus: 1 },
          chat: { enabled: true, extra: true },
          virtualBackground: { enabled: true },
          appearance: { theme: 'dark' },
        },
        autoDeletionPolicy: { withMeeting: 'force', withRecordings: 'close', other: 'x' },
      },
    });
    assertStatus(res, 201);
    const room = res.body;
    assert.deepEqual(Object.keys(room), expectedRoomKeys());
    assert.match(room.roomId, roomIdPattern('extra'));
    assert.equal(room.status, 'open');
    assert.deepEqual(room.config, {
      recording: { enabled: false },
      chat: { enabled: true },
      virtualBackground: { enabled: true },
    });
    assert.deepEqual(room.autoDeletionPolicy, { withMeeting: 'force', withRecordings: 'close' });
  });
});

describe('POST /api/v1/rooms — config.maxParticipants (convene-deviations §4)', () => {
  const base = { recording: { enabled: false }, chat: { enabled: true }, virtualBackground: { enabled: true } };

  for (const bad of [0, 1001, 1.5, '3', -1, null]) {
    it(`rejects maxParticipants=${JSON.stringify(bad)}`, async () => {
      const res = await api.post('/api/v1/rooms', { json: { config: { ...base, maxParticipants: bad } } });
      assertValidationIncludes(res, { field: 'config.maxParticipants' });
      for (const d of res.body.details) assert.equal(d.field, 'config.maxParticipants');
    });
  }

  for (const good of [1, 1000]) {
    it(`accepts maxParticipants=${good} and echoes it in config`, async () => {
      const room = await createRoom(api, { config: { ...base, maxParticipants: good } });
      assert.equal(room.config.maxParticipants, good);
      assert.deepEqual(room.config, { ...base, maxParticipants: good });
      const cfg = await api.get(`/api/v1/rooms/${room.roomId}/config`);
      assertStatus(cfg, 200);
      assert.deepEqual(cfg.body, { ...base, maxParticipants: good });
    });
  }
});

describe('POST /api/v1/rooms — body parsing', () => {
  it('answers 400 Malformed body to invalid JSON', async () => {
    const res = await api.post('/api/v1/rooms', {
      body: '{"roomName": "TestRoom",',
      headers: { 'content-type': 'application/json' },
    });
    assertError(res, 400, 'Bad Request', 'Malformed body');
  });

  it('answers 400 Malformed body to trailing garbage after the JSON value', async () => {
    const res = await api.post('/api/v1/rooms', { body: '{} x', headers: { 'content-type': 'application/json' } });
    assertError(res, 400, 'Bad Request', 'Malformed body');
  });

  it('survives deeply nested JSON (4xx, server still up)', async () => {
    for (const body of ['['.repeat(50000) + ']'.repeat(50000), '{"a":'.repeat(5000) + '1' + '}'.repeat(5000)]) {
      const res = await api.post('/api/v1/rooms', { body, headers: { 'content-type': 'application/json' } });
      assert.ok(res.status === 400 || res.status === 422, res.text.slice(0, 300));
    }
    assertStatus(await api.get('/api/v1/rooms?maxItems=1'), 200);
  });

  it('duplicate keys: the last one wins (JSON.parse semantics)', async () => {
    const res = await api.post('/api/v1/rooms', {
      body: '{"roomName":"first","roomName":"second"}',
      headers: { 'content-type': 'application/json' },
    });
    assertStatus(res, 201);
    assert.equal(res.body.roomName, 'second');
  });

  it('answers 422 to a JSON array (not an object)', async () => {
    const res = await api.post('/api/v1/rooms', { body: '[]', headers: { 'content-type': 'application/json' } });
    assertValidation(res, [{ field: '', message: 'Expected object, received array' }]);
  });

  it('answers 400 Malformed body to a bare JSON number, string or null (strict JSON parser)', async () => {
    for (const body of ['42', '"room"', 'null']) {
      const res = await api.post('/api/v1/rooms', { body, headers: { 'content-type': 'application/json' } });
      assertError(res, 400, 'Bad Request', 'Malformed body');
    }
  });
});

describe('POST /api/v1/rooms — authentication (§2.4, §3.1)', () => {
  it('401 Unauthorized without x-api-key', async () => {
    const res = await request(server.url, 'POST', '/api/v1/rooms', { json: {} });
    assertError(res, 401, 'Authentication Error', 'Unauthorized');
  });

  it('401 Invalid API key with a wrong key', async () => {
    const res = await request(server.url, 'POST', '/api/v1/rooms', { json: {}, headers: { 'x-api-key': 'wrong-key' } });
    assertError(res, 401, 'Authentication Error', 'Invalid API key');
  });

  it('authentication runs before validation', async () => {
    const res = await request(server.url, 'POST', '/api/v1/rooms', { json: { roomName: 'n'.repeat(80) } });
    assertError(res, 401, 'Authentication Error', 'Unauthorized');
    const res2 = await request(server.url, 'POST', '/api/v1/rooms', {
      json: { autoDeletionDate: 'x' },
      headers: { 'x-api-key': 'wrong-key' },
    });
    assertError(res2, 401, 'Authentication Error', 'Invalid API key');
  });

  it('401 Invalid token for a malformed admin bearer token',
    { todo: 'admin access tokens arrive with the authentication issue' }, async () => {
    const res = await request(server.url, 'POST', '/api/v1/rooms', {
      json: {},
      headers: { authorization: 'Bearer not-a-jwt' },
    });
    assertError(res, 401, 'Authentication Error', 'Invalid token');
  });

  it('a failed request creates nothing', async () => {
    const before = await listAllRooms(api, 'maxItems=100');
    await request(server.url, 'POST', '/api/v1/rooms', { json: { roomName: 'ghost-unauth' } });
    await api.post('/api/v1/rooms', { json: { roomName: 'ghost-invalid', autoDeletionDate: -1 } });
    const after = await listAllRooms(api, 'maxItems=100');
    assert.equal(after.rooms.length, before.rooms.length);
    assert.ok(!after.rooms.some((r) => r.roomId.startsWith('ghost')));
  });
});

describe('POST /api/v1/rooms — concurrency', () => {
  it('200 parallel creates of the same name get 200 distinct ids, all listed', { timeout: 120000 }, async () => {
    const name = 'Parallel Burst';
    const results = await Promise.all(
      Array.from({ length: 200 }, () => api.post('/api/v1/rooms', { json: { roomName: name }, timeoutMs: 60000 })),
    );
    for (const r of results) assertStatus(r, 201);
    const ids = results.map((r) => r.body.roomId);
    assert.equal(new Set(ids).size, 200, 'ids are distinct');
    for (const id of ids) assert.match(id, roomIdPattern('ParallelBurst'));
    const secrets = new Set(results.flatMap((r) => [secretOf(r.body.moderatorUrl), secretOf(r.body.speakerUrl)]));
    assert.equal(secrets.size, 400, 'secrets are distinct');
    const listed = await listAllRooms(api, `roomName=${encodeURIComponent('ParallelBurst')}&maxItems=100`);
    assert.deepEqual(listed.rooms.map((r) => r.roomId).sort(), [...ids].sort());
  });
});

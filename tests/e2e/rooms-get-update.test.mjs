// GET /api/v1/rooms/{roomId}, GET/PUT …/config, PUT …/status, internal roles routes and the
// recordings compatibility routes.
// Spec: reference-api.md §4.1, §4.2, §6.2, §6.4, §7.1; convene-deviations.md §4, §10.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, request, startConvene } from './support/convene.mjs';
import {
  DEFAULT_CONFIG,
  assertError,
  assertStatus,
  assertValidation,
  createRoom,
  permissionsFor,
  secretOf,
} from './support/rooms.mjs';

let server;
let api;

before(async () => {
  server = await startConvene();
  api = apiClient(server);
});

after(async () => {
  await server?.close();
});

const notFound = (id) => ['Room Error', `Room '${id}' does not exist`];

describe('GET /api/v1/rooms/{roomId}', () => {
  let room;
  before(async () => {
    room = await createRoom(api, { roomName: 'get me' });
  });

  it('returns the room', async () => {
    const res = await api.get(`/api/v1/rooms/${room.roomId}`);
    assertStatus(res, 200);
    assert.deepEqual(res.body, room);
  });

  it('returns a custom config and autoDeletionDate', async () => {
    const config = { recording: { enabled: true, allowAccessTo: 'admin' }, chat: { enabled: false }, virtualBackground: { enabled: false } };
    const date = Date.now() + 3 * 3600 * 1000;
    const custom = await createRoom(api, { roomName: 'custom', config, autoDeletionDate: date });
    const res = await api.get(`/api/v1/rooms/${custom.roomId}`);
    assertStatus(res, 200);
    assert.deepEqual(res.body.config, config);
    assert.equal(res.body.autoDeletionDate, date);
  });

  it('filters with fields', async () => {
    const res = await api.get(`/api/v1/rooms/${room.roomId}?fields=roomId,status`);
    assertStatus(res, 200);
    assert.deepEqual(res.body, { roomId: room.roomId, status: 'open' });
    const one = await api.get(`/api/v1/rooms/${room.roomId}?fields=moderatorUrl`);
    assert.deepEqual(one.body, { moderatorUrl: room.moderatorUrl });
  });

  it('a repeated fields parameter is a 422', async () => {
    const res = await api.get(`/api/v1/rooms/${room.roomId}?fields=roomId&fields=status`);
    assertValidation(res, [{ field: 'fields', message: 'Expected string, received array' }]);
  });

  it('fields[invalid]=data is an object (Express qs) → 422 Expected string, received object', async () => {
    assertValidation(await api.get(`/api/v1/rooms/${room.roomId}?fields[invalid]=data`),
      [{ field: 'fields', message: 'Expected string, received object' }]);
    assertValidation(await api.get(`/api/v1/rooms/${room.roomId}?fields[]=roomId`),
      [{ field: 'fields', message: 'Expected string, received array' }]);
  });

  it('sanitises the path id (" id " and stray characters find the room)', async () => {
    for (const p of [`%20${room.roomId}%20`, `${room.roomId}!`, `%3C${room.roomId}%3E`, `%20%20${room.roomId}`]) {
      const res = await api.get(`/api/v1/rooms/${p}`);
      assertStatus(res, 200);
      assert.equal(res.body.roomId, room.roomId, p);
    }
  });

  it('an encoded slash is part of the id (and sanitised away)', async () => {
    const half = room.roomId.length >> 1;
    const res = await api.get(`/api/v1/rooms/${room.roomId.slice(0, half)}%2F${room.roomId.slice(half)}`);
    assertStatus(res, 200);
    assert.equal(res.body.roomId, room.roomId);
    assertError(await api.get('/api/v1/rooms/a%2Fb'), 404, ...notFound('ab'));
  });

  it('a trailing slash is tolerated (Express non-strict routing)', async () => {
    const res = await api.get(`/api/v1/rooms/${room.roomId}/`);
    assertStatus(res, 200);
    assert.equal(res.body.roomId, room.roomId);
    const list = await api.get('/api/v1/rooms/?maxItems=1');
    assertStatus(list, 200);
    assert.ok(Array.isArray(list.body.rooms));
  });

  it('404 Room Error for a missing room, naming the sanitised id', async () => {
    const res = await api.get('/api/v1/rooms/non-existent-room');
    assertError(res, 404, ...notFound('non-existent-room'));
    const res2 = await api.get('/api/v1/rooms/%20ghost%21');
    assertError(res2, 404, ...notFound('ghost'));
  });

  it('422 for an id longer than 100 characters; 100 is fine', async () => {
    const res = await api.get(`/api/v1/rooms/${'a'.repeat(101)}`);
    assertValidation(res, [{ field: 'roomId', message: 'roomId cannot exceed 100 characters' }]);
    const res2 = await api.get(`/api/v1/rooms/${'a'.repeat(100)}`);
    assertError(res2, 404, ...notFound('a'.repeat(100)));
  });

  it('422 for an id that sanitises to nothing', async () => {
    const res = await api.get('/api/v1/rooms/%21%21');
    assertValidation(res, [{ field: 'roomId', message: 'roomId cannot be empty after sanitization' }]);
  });

  it('401 without credentials; 401 Invalid API key', async () => {
    assertError(await request(server.url, 'GET', `/api/v1/rooms/${room.roomId}`), 401, 'Authentication Error', 'Unauthorized');
    assertError(await request(server.url, 'GET', `/api/v1/rooms/${room.roomId}`, { headers: { 'x-api-key': 'x' } }),
      401, 'Authentication Error', 'Invalid API key');
  });

  it('401 Invalid token for a bad participant token',
    { todo: 'participant tokens arrive with the participant issue' }, async () => {
    assertError(await request(server.url, 'GET', `/api/v1/rooms/${room.roomId}`, {
      headers: { 'x-participant-token': 'Bearer garbage', 'x-participant-role': 'moderator' },
    }), 401, 'Authentication Error', 'Invalid token');
  });

  it('auth runs before id validation', async () => {
    assertError(await request(server.url, 'GET', '/api/v1/rooms/%21%21'), 401, 'Authentication Error', 'Unauthorized');
  });
});

describe('GET /api/v1/rooms/{roomId}/config', () => {
  it('returns the default config', async () => {
    const room = await createRoom(api, {});
    const res = await api.get(`/api/v1/rooms/${room.roomId}/config`);
    assertStatus(res, 200);
    assert.deepEqual(res.body, DEFAULT_CONFIG);
  });

  it('returns a custom config', async () => {
    const config = { recording: { enabled: false }, chat: { enabled: false }, virtualBackground: { enabled: true } };
    const room = await createRoom(api, { config });
    const res = await api.get(`/api/v1/rooms/%20${room.roomId}/config`);
    assertStatus(res, 200);
    assert.deepEqual(res.body, config);
  });

  it('404 / 422 / 401', async () => {
    assertError(await api.get('/api/v1/rooms/missing-room/config'), 404, ...notFound('missing-room'));
    assertValidation(await api.get('/api/v1/rooms/%21%21/config'),
      [{ field: 'roomId', message: 'roomId cannot be empty after sanitization' }]);
    assertError(await request(server.url, 'GET', '/api/v1/rooms/missing-room/config'), 401, 'Authentication Error', 'Unauthorized');
  });
});

describe('PUT /api/v1/rooms/{roomId}/config', () => {
  const configA = { recording: { enabled: true, allowAccessTo: 'admin' }, chat: { enabled: false }, virtualBackground: { enabled: false } };
  const configB = { recording: { enabled: false }, chat: { enabled: true }, virtualBackground: { enabled: true } };

  it('replaces the config and answers the exact message', async () => {
    const room = await createRoom(api, { roomName: 'cfg' });
    const res = await api.put(`/api/v1/rooms/${room.roomId}/config`, { json: { config: configA } });
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: `Room config for room '${room.roomId}' updated successfully` });
    const cfg = await api.get(`/api/v1/rooms/${room.roomId}/config`);
    assert.deepEqual(cfg.body, configA);
    const full = await api.get(`/api/v1/rooms/${room.roomId}`);
    assert.deepEqual(full.body, { ...room, config: configA }, 'only the config changed');
  });

  it('is a full replacement (no merge with the previous config)', async () => {
    const room = await createRoom(api, { config: configA });
    assertStatus(await api.put(`/api/v1/rooms/${room.roomId}/config`, { json: { config: configB } }), 200);
    const cfg = await api.get(`/api/v1/rooms/${room.roomId}/config`);
    assert.deepEqual(cfg.body, configB);
    assert.equal('allowAccessTo' in cfg.body.recording, false);
  });

  it('sets and removes maxParticipants', async () => {
    const room = await createRoom(api, {});
    assertStatus(await api.put(`/api/v1/rooms/${room.roomId}/config`, { json: { config: { ...configB, maxParticipants: 1000 } } }), 200);
    assert.deepEqual((await api.get(`/api/v1/rooms/${room.roomId}/config`)).body, { ...configB, maxParticipants: 1000 });
    assertStatus(await api.put(`/api/v1/rooms/${room.roomId}/config`, { json: { config: configB } }), 200);
    assert.deepEqual((await api.get(`/api/v1/rooms/${room.roomId}/config`)).body, configB);
    const bad = await api.put(`/api/v1/rooms/${room.roomId}/config`, { json: { config: { ...configB, maxParticipants: 0 } } });
    assert.equal(bad.status, 422, bad.text);
    assert.ok(bad.body.details.every((d) => d.field === 'config.maxParticipants'), bad.text);
  });

  it('works on a closed room and uses the sanitised id in the message', async () => {
    const room = await createRoom(api, {});
    assertStatus(await api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } }), 200);
    const res = await api.put(`/api/v1/rooms/%20${room.roomId}!/config`, { json: { config: configB } });
    assertStatus(res, 200);
    assert.deepEqual(res.body, { message: `Room config for room '${room.roomId}' updated successfully` });
  });

  it('422 for a partial config', async () => {
    const room = await createRoom(api, {});
    const res = await api.put(`/api/v1/rooms/${room.roomId}/config`, { json: { config: { chat: { enabled: false } } } });
    assertValidation(res, [
      { field: 'config.recording', message: 'Required' },
      { field: 'config.virtualBackground', message: 'Required' },
    ]);
    assert.deepEqual((await api.get(`/api/v1/rooms/${room.roomId}/config`)).body, DEFAULT_CONFIG, 'unchanged');
  });

  it('422 when config is missing or not wrapped', async () => {
    const room = await createRoom(api, {});
    assertValidation(await api.put(`/api/v1/rooms/${room.roomId}/config`, { json: {} }),
      [{ field: 'config', message: 'Required' }]);
    assertValidation(await api.put(`/api/v1/rooms/${room.roomId}/config`, { json: configB }),
      [{ field: 'config', message: 'Required' }]);
  });

  it('422 when recording is enabled without allowAccessTo', async () => {
    const room = await createRoom(api, {});
    const res = await api.put(`/api/v1/rooms/${room.roomId}/config`, {
      json: { config: { recording: { enabled: true }, chat: { enabled: true }, virtualBackground: { enabled: true } } },
    });
    assertValidation(res, [{ field: 'config.recording.allowAccessTo', message: 'allowAccessTo is required when recording is enabled' }]);
  });

  it('400 Malformed body', async () => {
    const room = await createRoom(api, {});
    const res = await api.put(`/api/v1/rooms/${room.roomId}/config`, { body: '{"config":', headers: { 'content-type': 'application/json' } });
    assertError(res, 400, 'Bad Request', 'Malformed body');
  });

  it('404 for a missing room; validation comes first', async () => {
    assertError(await api.put('/api/v1/rooms/missing-room/config', { json: { config: configB } }), 404, ...notFound('missing-room'));
    assertValidation(await api.put('/api/v1/rooms/missing-room/config', { json: {} }), [{ field: 'config', message: 'Required' }]);
  });

  it('401 before validation', async () => {
    assertError(await request(server.url, 'PUT', '/api/v1/rooms/missing-room/config', { json: {} }), 401, 'Authentication Error', 'Unauthorized');
  });
});

describe('PUT /api/v1/rooms/{roomId}/status', () => {
  it('closes and reopens a room', async () => {
    const room = await createRoom(api, { roomName: 'status' });
    const closed = await api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } });
    assertStatus(closed, 200);
    assert.deepEqual(Object.keys(closed.body), ['message', 'room']);
    assert.equal(closed.body.message, `Room '${room.roomId}' closed successfully`);
    assert.deepEqual(closed.body.room, { ...room, status: 'closed', meetingEndAction: 'none' });
    assert.deepEqual((await api.get(`/api/v1/rooms/${room.roomId}`)).body, closed.body.room);

    const again = await api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } });
    assertStatus(again, 200);
    assert.equal(again.body.message, `Room '${room.roomId}' closed successfully`);

    const opened = await api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'open' } });
    assertStatus(opened, 200);
    assert.deepEqual(opened.body, { message: `Room '${room.roomId}' open successfully`, room });
    assert.equal((await api.get(`/api/v1/rooms/${room.roomId}`)).body.status, 'open');
  });

  it('the status is visible in the list', async () => {
    const room = await createRoom(api, { roomName: 'listedstatus' });
    assertStatus(await api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'closed' } }), 200);
    const list = await api.get('/api/v1/rooms?roomName=listedstatus');
    assert.equal(list.body.rooms.length, 1);
    assert.equal(list.body.rooms[0].status, 'closed');
  });

  it('422 for active_meeting and other values', async () => {
    const room = await createRoom(api, {});
    assertValidation(await api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'active_meeting' } }),
      [{ field: 'status', message: "Invalid enum value. Expected 'open' | 'closed', received 'active_meeting'" }]);
    assertValidation(await api.put(`/api/v1/rooms/${room.roomId}/status`, { json: { status: 'invalid_status' } }),
      [{ field: 'status', message: "Invalid enum value. Expected 'open' | 'closed', received 'invalid_status'" }]);
    assertValidation(await api.put(`/api/v1/rooms/${room.roomId}/status`, { json: {} }),
      [{ field: 'status', message: 'Required' }]);
    assert.equal((await api.get(`/api/v1/rooms/${room.roomId}`)).body.status, 'open');
  });

  it('404 for a missing room', async () => {
    assertError(await api.put('/api/v1/rooms/non-existent-room/status', { json: { status: 'closed' } }), 404, ...notFound('non-existent-room'));
  });

  it('401 before validation', async () => {
    assertError(await request(server.url, 'PUT', '/api/v1/rooms/x/status', { json: { status: 'bogus' } }), 401, 'Authentication Error', 'Unauthorized');
  });
});

describe('GET /internal-api/v1/rooms/{roomId}/roles[/{secret}] (no auth)', () => {
  let room;
  before(async () => {
    // Chat disabled: permissions must not depend on the config (§4.2).
    room = await createRoom(api, {
      roomName: 'roles',
      config: { recording: { enabled: false }, chat: { enabled: false }, virtualBackground: { enabled: false } },
    });
  });

  it('lists both roles with their permissions, without credentials', async () => {
    const res = await request(server.url, 'GET', `/internal-api/v1/rooms/${room.roomId}/roles`);
    assertStatus(res, 200);
    assert.deepEqual(res.body, [
      { role: 'moderator', permissions: permissionsFor(room.roomId, 'moderator') },
      { role: 'speaker', permissions: permissionsFor(room.roomId, 'speaker') },
    ]);
  });

  it('resolves the moderator and speaker secrets', async () => {
    const mod = await request(server.url, 'GET', `/internal-api/v1/rooms/${room.roomId}/roles/${secretOf(room.moderatorUrl)}`);
    assertStatus(mod, 200);
    assert.deepEqual(mod.body, { role: 'moderator', permissions: permissionsFor(room.roomId, 'moderator') });
    const spk = await request(server.url, 'GET', `/internal-api/v1/rooms/${room.roomId}/roles/${secretOf(room.speakerUrl)}`);
    assertStatus(spk, 200);
    assert.deepEqual(spk.body, { role: 'speaker', permissions: permissionsFor(room.roomId, 'speaker') });
  });

  it('an API key does not hurt', async () => {
    const res = await api.get(`/internal-api/v1/rooms/${room.roomId}/roles`);
    assertStatus(res, 200);
    assert.equal(res.body.length, 2);
  });

  it('400 Room Error for an unknown secret (echoed)', async () => {
    const res = await request(server.url, 'GET', `/internal-api/v1/rooms/${room.roomId}/roles/x`);
    assertError(res, 400, 'Room Error', `Secret 'x' is not recognized for room '${room.roomId}'`);
    const other = await createRoom(api, {});
    const res2 = await request(server.url, 'GET', `/internal-api/v1/rooms/${room.roomId}/roles/${secretOf(other.moderatorUrl)}`);
    assertError(res2, 400, 'Room Error', `Secret '${secretOf(other.moderatorUrl)}' is not recognized for room '${room.roomId}'`);
  });

  it('404 for a missing room (before the secret check)', async () => {
    assertError(await request(server.url, 'GET', '/internal-api/v1/rooms/ghost-room/roles'), 404, ...notFound('ghost-room'));
    assertError(await request(server.url, 'GET', '/internal-api/v1/rooms/ghost-room/roles/x'), 404, ...notFound('ghost-room'));
  });

  it('sanitises the id; 422 when it sanitises to nothing', async () => {
    const res = await request(server.url, 'GET', `/internal-api/v1/rooms/%20${room.roomId}%20/roles`);
    assertStatus(res, 200);
    assert.equal(res.body[0].permissions.livekit.room, room.roomId);
    assertValidation(await request(server.url, 'GET', '/internal-api/v1/rooms/%21%21/roles'),
      [{ field: 'roomId', message: 'roomId cannot be empty after sanitization' }]);
  });
});

describe('recordings compatibility routes (convene-deviations §10)', () => {
  it('GET /api/v1/recordings is an empty page echoing maxItems', async () => {
    for (const n of [1, 10, 100]) {
      const res = await api.get(`/api/v1/recordings?maxItems=${n}`);
      assertStatus(res, 200);
      assert.deepEqual(res.body, { recordings: [], pagination: { isTruncated: false, maxItems: n } });
    }
    const dflt = await api.get('/api/v1/recordings');
    assert.deepEqual(dflt.body, { recordings: [], pagination: { isTruncated: false, maxItems: 10 } });
    const capped = await api.get('/api/v1/recordings?maxItems=1000');
    assert.deepEqual(capped.body, { recordings: [], pagination: { isTruncated: false, maxItems: 100 } });
  });

  it('GET /api/v1/recordings validates maxItems and needs auth', async () => {
    assertValidation(await api.get('/api/v1/recordings?maxItems=0'), [{ field: 'maxItems', message: 'maxItems must be a positive number' }]);
    assertValidation(await api.get('/api/v1/recordings?maxItems=abc'), [{ field: 'maxItems', message: 'Expected number, received nan' }]);
    assertError(await request(server.url, 'GET', '/api/v1/recordings'), 401, 'Authentication Error', 'Unauthorized');
  });

  it('POST /internal-api/v1/rooms/{roomId}/recording-token → 404 no recordings, for existing and missing rooms', async () => {
    const room = await createRoom(api, { roomName: 'rectoken' });
    const msg = (id) => `Room metadata for '${id}' not found. Room '${id}' does not exist or has no recordings associated`;
    const res = await request(server.url, 'POST', `/internal-api/v1/rooms/${room.roomId}/recording-token`, {
      json: { secret: secretOf(room.moderatorUrl) },
    });
    assertError(res, 404, 'Room Error', msg(room.roomId));
    const res2 = await request(server.url, 'POST', '/internal-api/v1/rooms/ghost-room/recording-token', { json: { secret: 'abc' } });
    assertError(res2, 404, 'Room Error', msg('ghost-room'));
    // The check runs before body validation.
    const res3 = await request(server.url, 'POST', `/internal-api/v1/rooms/${room.roomId}/recording-token`, { json: {} });
    assertError(res3, 404, 'Room Error', msg(room.roomId));
  });
});

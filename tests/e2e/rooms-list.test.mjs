// GET /api/v1/rooms: pagination, ordering, roomName prefix filter, fields, maxItems.
// Spec: reference-api.md §4.1 (GET /api/v1/rooms), §6.1, Appendix A rooms/get-rooms.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, request, startConvene } from './support/convene.mjs';
import {
  assertError,
  assertStatus,
  assertValidation,
  createRooms,
  expectedRoomKeys,
  listAllRooms,
} from './support/rooms.mjs';

let server;
let api;
/** roomId → room as created */
const created = new Map();

// Fixture: 121 rooms in total, with names chosen to exercise the prefix filter.
const FIXTURE = [
  ['alpha', 12],
  ['alphabet', 5],
  ['Alpha', 4],
  ['beta', 50],
  ['gamma ray', 50],
];
const TOTAL = FIXTURE.reduce((n, [, c]) => n + c, 0);

function sortedIds(pred = () => true) {
  return [...created.keys()].filter(pred).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

before(async () => {
  server = await startConvene();
  api = apiClient(server);
});

after(async () => {
  await server?.close();
});

describe('GET /api/v1/rooms', () => {
  it('lists nothing on a fresh server', async () => {
    const res = await api.get('/api/v1/rooms');
    assertStatus(res, 200);
    assert.deepEqual(res.body, { rooms: [], pagination: { isTruncated: false, maxItems: 10 } });
  });

  it('creates the fixture', { timeout: 120000 }, async () => {
    for (const [name, count] of FIXTURE) {
      const rooms = await createRooms(api, count, { roomName: name });
      for (const r of rooms) created.set(r.roomId, r);
    }
    assert.equal(created.size, TOTAL);
  });

  it('first page: 10 rooms by default, lexicographic by roomId, full room objects', async () => {
    const res = await api.get('/api/v1/rooms');
    assertStatus(res, 200);
    assert.deepEqual(Object.keys(res.body), ['rooms', 'pagination']);
    const { rooms, pagination } = res.body;
    assert.equal(rooms.length, 10);
    assert.equal(pagination.isTruncated, true);
    assert.equal(pagination.maxItems, 10);
    assert.equal(typeof pagination.nextPageToken, 'string');
    assert.ok(pagination.nextPageToken.length > 0);
    assert.deepEqual(rooms.map((r) => r.roomId), sortedIds().slice(0, 10));
    for (const r of rooms) {
      assert.deepEqual(r, created.get(r.roomId), 'listed room equals the created room');
      assert.deepEqual(Object.keys(r), expectedRoomKeys());
    }
  });

  for (const maxItems of [1, 7, 50, 100]) {
    it(`walks every page with maxItems=${maxItems}: no duplicates, no omissions, ordered`, { timeout: 60000 }, async () => {
      const { rooms, pages } = await listAllRooms(api, `maxItems=${maxItems}`, { maxPages: 200 });
      const ids = rooms.map((r) => r.roomId);
      assert.equal(new Set(ids).size, ids.length, 'no duplicates');
      assert.deepEqual(ids, sortedIds(), 'every room, in lexicographic order');
      assert.equal(pages.length, Math.ceil(TOTAL / maxItems));
      pages.forEach((p, i) => {
        const last = i === pages.length - 1;
        assert.equal(p.pagination.maxItems, maxItems);
        assert.equal(p.pagination.isTruncated, !last);
        if (last) {
          assert.equal('nextPageToken' in p.pagination, false, 'no nextPageToken on the last page');
          assert.equal(p.rooms.length, TOTAL - maxItems * (pages.length - 1));
        } else {
          assert.equal(p.rooms.length, maxItems);
        }
      });
    });
  }

  it('a page that ends exactly at the last room is not truncated', async () => {
    const res = await api.get(`/api/v1/rooms?roomName=alphabet&maxItems=5`);
    assertStatus(res, 200);
    assert.equal(res.body.rooms.length, 5);
    assert.deepEqual(res.body.pagination, { isTruncated: false, maxItems: 5 });
  });

  it('the literal nextPageToken=undefined is ignored', async () => {
    const res = await api.get('/api/v1/rooms?maxItems=3&nextPageToken=undefined');
    assertStatus(res, 200);
    assert.deepEqual(res.body.rooms.map((r) => r.roomId), sortedIds().slice(0, 3));
  });

  it('an invalid nextPageToken is a 422', async () => {
    for (const token of ['garbage!!', 'AAAA', 'x']) {
      const res = await api.get(`/api/v1/rooms?nextPageToken=${encodeURIComponent(token)}`);
      assertValidation(res, [{ field: 'nextPageToken', message: 'Invalid page token' }]);
    }
  });

  it('a page token stays valid after the room it points at is deleted', async () => {
    const first = await api.get('/api/v1/rooms?roomName=beta&maxItems=5');
    assertStatus(first, 200);
    const token = first.body.pagination.nextPageToken;
    const lastOfPage = first.body.rooms.at(-1).roomId;
    const del = await api.del(`/api/v1/rooms/${lastOfPage}`);
    assertStatus(del, 200);
    created.delete(lastOfPage);
    const second = await api.get(`/api/v1/rooms?roomName=beta&maxItems=5&nextPageToken=${encodeURIComponent(token)}`);
    assertStatus(second, 200);
    const beta = sortedIds((id) => id.startsWith('beta'));
    assert.deepEqual(second.body.rooms.map((r) => r.roomId), beta.slice(4, 9));
  });
});

describe('GET /api/v1/rooms — roomName filter (roomId prefix, §4.1, Q7)', () => {
  it('matches roomIds starting with the sanitised name, case-sensitively', async () => {
    const { rooms } = await listAllRooms(api, 'roomName=alpha&maxItems=100');
    assert.deepEqual(rooms.map((r) => r.roomId), sortedIds((id) => id.startsWith('alpha')));
    assert.equal(rooms.length, 17, 'alpha-* and alphabet-*, not Alpha-*');
  });

  it('is case-sensitive', async () => {
    const { rooms } = await listAllRooms(api, 'roomName=Alpha&maxItems=100');
    assert.deepEqual(rooms.map((r) => r.roomId), sortedIds((id) => id.startsWith('Alpha')));
    assert.equal(rooms.length, 4);
  });

  it('sanitises the filter first', async () => {
    const { rooms } = await listAllRooms(api, `roomName=${encodeURIComponent('  al*pha!  ')}&maxItems=100`);
    assert.equal(rooms.length, 17);
    const { rooms: r2 } = await listAllRooms(api, `roomName=${encodeURIComponent('alphabet-')}&maxItems=100`);
    assert.deepEqual(r2.map((r) => r.roomId), sortedIds((id) => id.startsWith('alphabet')));
  });

  it('a name with a space never matches (roomIds have no spaces)', async () => {
    const res = await api.get(`/api/v1/rooms?roomName=${encodeURIComponent('gamma ray')}`);
    assertStatus(res, 200);
    assert.deepEqual(res.body, { rooms: [], pagination: { isTruncated: false, maxItems: 10 } });
    const res2 = await api.get('/api/v1/rooms?roomName=gammaray&maxItems=100');
    assert.equal(res2.body.rooms.length, 50);
  });

  it('paginates within the filter', async () => {
    const { rooms, pages } = await listAllRooms(api, 'roomName=beta&maxItems=6');
    const beta = sortedIds((id) => id.startsWith('beta'));
    assert.deepEqual(rooms.map((r) => r.roomId), beta);
    assert.equal(pages.length, Math.ceil(beta.length / 6));
  });

  it('an empty roomName does not filter', async () => {
    const res = await api.get('/api/v1/rooms?roomName=&maxItems=3');
    assertStatus(res, 200);
    assert.deepEqual(res.body.rooms.map((r) => r.roomId), sortedIds().slice(0, 3));
  });

  it('no match → empty page', async () => {
    const res = await api.get('/api/v1/rooms?roomName=zzz');
    assertStatus(res, 200);
    assert.deepEqual(res.body, { rooms: [], pagination: { isTruncated: false, maxItems: 10 } });
  });
});

describe('GET /api/v1/rooms — fields', () => {
  it('keeps a single field', async () => {
    const res = await api.get('/api/v1/rooms?fields=roomId&maxItems=5');
    assertStatus(res, 200);
    assert.equal(res.body.rooms.length, 5);
    for (const r of res.body.rooms) assert.deepEqual(r, { roomId: r.roomId });
    assert.deepEqual(res.body.rooms.map((r) => r.roomId), sortedIds().slice(0, 5));
  });

  it('keeps several comma-separated fields', async () => {
    const res = await api.get('/api/v1/rooms?fields=roomId,roomName,config&maxItems=5');
    assertStatus(res, 200);
    for (const r of res.body.rooms) {
      const full = created.get(r.roomId);
      assert.deepEqual(r, { roomId: full.roomId, roomName: full.roomName, config: full.config });
    }
  });

  it('a repeated fields parameter is a 422', async () => {
    const res = await api.get('/api/v1/rooms?fields=roomId&fields=roomName');
    assertValidation(res, [{ field: 'fields', message: 'Expected string, received array' }]);
  });

  it('bracket syntax is parsed as Express does: fields[x] is an object, fields[] an array → 422', async () => {
    assertValidation(await api.get('/api/v1/rooms?fields[invalid]=data'),
      [{ field: 'fields', message: 'Expected string, received object' }]);
    assertValidation(await api.get('/api/v1/rooms?fields%5Binvalid%5D=data'),
      [{ field: 'fields', message: 'Expected string, received object' }]);
    assertValidation(await api.get('/api/v1/rooms?fields[]=roomId'),
      [{ field: 'fields', message: 'Expected string, received array' }]);
    assertValidation(await api.get('/api/v1/rooms?fields[0]=roomId'),
      [{ field: 'fields', message: 'Expected string, received array' }]);
    assertValidation(await api.get('/api/v1/rooms?fields[21]=roomId'),
      [{ field: 'fields', message: 'Expected string, received object' }]);
    assertValidation(await api.get('/api/v1/rooms?roomName[a]=x&nextPageToken[]=t'), [
      { field: 'nextPageToken', message: 'Expected string, received array' },
      { field: 'roomName', message: 'Expected string, received object' },
    ]);
  });
});

describe('GET /api/v1/rooms — maxItems', () => {
  it('rejects 0', async () => {
    const res = await api.get('/api/v1/rooms?maxItems=0');
    assertValidation(res, [{ field: 'maxItems', message: 'maxItems must be a positive number' }]);
  });

  it('rejects -1', async () => {
    const res = await api.get('/api/v1/rooms?maxItems=-1');
    assertValidation(res, [{ field: 'maxItems', message: 'maxItems must be a positive number' }]);
  });

  it('rejects a non-number', async () => {
    const res = await api.get('/api/v1/rooms?maxItems=abc');
    assertValidation(res, [{ field: 'maxItems', message: 'Expected number, received nan' }]);
  });

  it('caps 1000 to 100', async () => {
    const res = await api.get('/api/v1/rooms?maxItems=1000');
    assertStatus(res, 200);
    assert.equal(res.body.pagination.maxItems, 100);
    assert.equal(res.body.rooms.length, 100);
    assert.equal(res.body.pagination.isTruncated, true);
    assert.deepEqual(res.body.rooms.map((r) => r.roomId), sortedIds().slice(0, 100));
  });

  it('floors 2.7 to 2', async () => {
    const res = await api.get('/api/v1/rooms?maxItems=2.7');
    assertStatus(res, 200);
    assert.equal(res.body.pagination.maxItems, 2);
    assert.equal(res.body.rooms.length, 2);
  });

  it('coerces like JavaScript Number(): empty → 0 (422), "1e1" → 10, " 5 " → 5', async () => {
    assertValidation(await api.get('/api/v1/rooms?maxItems='), [{ field: 'maxItems', message: 'maxItems must be a positive number' }]);
    const a = await api.get('/api/v1/rooms?maxItems=1e1');
    assertStatus(a, 200);
    assert.equal(a.body.pagination.maxItems, 10);
    assert.equal(a.body.rooms.length, 10);
    const b = await api.get('/api/v1/rooms?maxItems=%205%20');
    assertStatus(b, 200);
    assert.equal(b.body.pagination.maxItems, 5);
  });

  it('maxItems[a]=1 is an object → 422 Expected number, received nan; maxItems[]=3 coerces to 3', async () => {
    assertValidation(await api.get('/api/v1/rooms?maxItems[a]=1'), [{ field: 'maxItems', message: 'Expected number, received nan' }]);
    assertValidation(await api.get('/api/v1/rooms?maxItems[]=1&maxItems[]=2'), [{ field: 'maxItems', message: 'Expected number, received nan' }]);
    // z.coerce.number() is Number(["3"]), which is 3.
    const res = await api.get('/api/v1/rooms?maxItems[]=3');
    assertStatus(res, 200);
    assert.equal(res.body.pagination.maxItems, 3);
    assert.equal(res.body.rooms.length, 3);
  });

  it('a repeated maxItems parameter is a 422', async () => {
    const res = await api.get('/api/v1/rooms?maxItems=2&maxItems=3');
    assert.equal(res.status, 422, res.text);
    assert.ok(res.body.details.every((d) => d.field === 'maxItems'), res.text);
  });
});

describe('GET /api/v1/rooms — authentication', () => {
  it('401 without a key, before validating the query', async () => {
    const res = await request(server.url, 'GET', '/api/v1/rooms?maxItems=0');
    assertError(res, 401, 'Authentication Error', 'Unauthorized');
  });

  it('401 with a wrong key', async () => {
    const res = await request(server.url, 'GET', '/api/v1/rooms', { headers: { 'x-api-key': 'nope' } });
    assertError(res, 401, 'Authentication Error', 'Invalid API key');
  });
});

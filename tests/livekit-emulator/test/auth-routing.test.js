// Authentication, grant checks, strict decoding and Twirp routing errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessToken } from 'livekit-server-sdk';
import { apiToken, rejectsWith, roomClient, signJwt, startEmu, twirp } from '../support/helpers.js';

const T = { timeout: 10000 };

const now = () => Math.floor(Date.now() / 1000);

test('a token with only roomList cannot CreateRoom: Twirp 401 unauthenticated', T, async (t) => {
  const emu = await startEmu(t);
  const token = await apiToken({ roomList: true });
  const res = await twirp(emu, 'CreateRoom', { name: 'x' }, { token });
  assert.equal(res.status, 401);
  assert.equal(res.contentType, 'application/json');
  assert.deepEqual(res.json, { code: 'unauthenticated', msg: 'permissions denied' });
  // ... but it can list.
  assert.equal((await twirp(emu, 'ListRooms', {}, { token })).status, 200);
});

test('grants are checked per method and roomAdmin is scoped to its room', T, async (t) => {
  const emu = await startEmu(t);
  await roomClient(emu).createRoom({ name: 'r1' });
  const adminR1 = await apiToken({ roomAdmin: true, room: 'r1' });
  assert.equal((await twirp(emu, 'ListParticipants', { room: 'r1' }, { token: adminR1 })).status, 200);
  const denied = [
    ['ListParticipants', { room: 'r2' }, adminR1],
    ['SendData', { room: 'r2' }, adminR1],
    ['ListRooms', {}, adminR1],
    ['DeleteRoom', { room: 'r1' }, adminR1],
    ['ListParticipants', { room: 'r1' }, await apiToken({ roomAdmin: true })],
    ['ListParticipants', { room: 'r1' }, await apiToken({ room: 'r1', roomJoin: false })],
    ['UpdateRoomMetadata', { room: 'r1' }, await apiToken({ roomCreate: true, roomList: true })],
  ];
  for (const [method, body, token] of denied) {
    const res = await twirp(emu, method, body, { token });
    assert.equal(res.status, 401, `${method} ${JSON.stringify(body)}`);
    assert.deepEqual(res.json, { code: 'unauthenticated', msg: 'permissions denied' });
  }
});

test('no token at all is a Twirp 401 permissions denied', T, async (t) => {
  const emu = await startEmu(t);
  const res = await twirp(emu, 'ListRooms', {});
  assert.equal(res.status, 401);
  assert.deepEqual(res.json, { code: 'unauthenticated', msg: 'permissions denied' });
});

test('bad signature is a plain-text 401 from the auth middleware', T, async (t) => {
  const emu = await startEmu(t);
  const wrong = roomClient(emu, { apiSecret: 'not-the-secret' });
  await rejectsWith(assert, wrong.listRooms(), { status: 401, code: undefined, message: /^invalid token: .*, error: token signature is invalid/ });

  const token = await new AccessToken('devkey', 'not-the-secret', {}).toJwt();
  const res = await twirp(emu, 'ListRooms', {}, { token });
  assert.equal(res.status, 401);
  assert.match(res.contentType, /^text\/plain/);
  // livekit-server 1.13.5 quotes the token, then golang-jwt's message.
  assert.equal(res.text, `invalid token: ${token}, error: token signature is invalid: signature is invalid`);
});

test('middleware errors: Bearer prefix, unknown key, garbage, expiry, exp required, HS256 only', T, async (t) => {
  const emu = await startEmu(t);
  const good = await apiToken({ roomList: true });
  const cases = [
    [{ Authorization: good }, 'invalid authorization header. Must start with Bearer '],
    [{ Authorization: `bearer ${good}` }, 'invalid authorization header. Must start with Bearer '],
    [{ Authorization: 'Bearer not-a-jwt' }, 'invalid authorization token'],
    [{ Authorization: `Bearer ${await apiToken({ roomList: true }, { apiKey: 'otherkey' })}` }, 'invalid API key: otherkey'],
    [{ Authorization: `Bearer ${signJwt({ iss: 'devkey', exp: now() - 120, video: { roomList: true } })}` }, /^invalid token: .*, error: token has invalid claims: token is expired$/],
    // livekit-server 1.13.5 still accepts a token without exp; newer servers do not (README).
    [{ Authorization: `Bearer ${signJwt({ iss: 'devkey', video: { roomList: true } })}` }, /^invalid token: .*, error: token has invalid claims: token is missing required claim: exp claim is required$/],
    [{ Authorization: `Bearer ${signJwt({ iss: 'devkey', exp: now() + 60, nbf: now() + 600, video: { roomList: true } })}` }, /^invalid token: .*, error: token has invalid claims: token is not valid yet$/],
    [{ Authorization: `Bearer ${signJwt({ iss: 'devkey', exp: now() + 60, video: { roomList: true } }, { alg: 'HS512' })}` }, /^invalid token: .*, error: token signature is invalid: signing method HS512 is invalid$/],
  ];
  for (const [headers, expected] of cases) {
    const res = await twirp(emu, 'ListRooms', {}, { headers });
    assert.equal(res.status, 401, JSON.stringify(headers));
    assert.match(res.contentType, /^text\/plain/);
    if (expected instanceof RegExp) assert.match(res.text, expected);
    else assert.equal(res.text, expected);
  }
  // Within the 60 s leeway an expired token is still accepted; nbf = 0 (SDK 2.13.1) is fine.
  const lenient = signJwt({ iss: 'devkey', nbf: 0, exp: now() - 30, video: { roomList: true } });
  assert.equal((await twirp(emu, 'ListRooms', {}, { token: lenient })).status, 200);
  // The access_token query parameter is an alternative token source.
  const res = await fetch(`${emu.url}/twirp/livekit.RoomService/ListRooms?access_token=${good}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(5000),
  });
  assert.equal(res.status, 200);
});

test('strict decoding: unknown fields and wrong types are invalid_argument, bad JSON malformed', T, async (t) => {
  const emu = await startEmu(t);
  const token = await apiToken({ roomCreate: true });
  const unknown = await twirp(emu, 'CreateRoom', { name: 'x', bogus: 1 }, { token });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json.code, 'invalid_argument');
  assert.match(unknown.json.msg, /key "bogus" is unknown/);

  const wrongType = await twirp(emu, 'CreateRoom', { name: 'x', emptyTimeout: 'soon' }, { token });
  assert.equal(wrongType.status, 400);
  assert.equal(wrongType.json.code, 'invalid_argument');
  assert.match(wrongType.json.msg, /empty_timeout/);

  const notString = await twirp(emu, 'CreateRoom', { name: 42 }, { token });
  assert.equal(notString.json.code, 'invalid_argument');

  const badJson = await twirp(emu, 'CreateRoom', null, { token, rawBody: '{"name":' });
  assert.equal(badJson.status, 400);
  assert.deepEqual(badJson.json, { code: 'malformed', msg: 'the json request could not be decoded' });

  const badEnum = await twirp(emu, 'SendData', { room: 'x', kind: 'LOUD' }, { token: await apiToken({ roomAdmin: true, room: 'x' }) });
  assert.equal(badEnum.json.code, 'invalid_argument');

  // Nothing was created by the rejected calls.
  assert.equal(emu.state.rooms.size, 0);
  assert.equal(emu.callLog({ method: 'CreateRoom' }).every((c) => c.status === 400), true);
});

test('Twirp routing: content type, HTTP method, unknown method, unknown path', T, async (t) => {
  const emu = await startEmu(t);
  const token = await apiToken({ roomList: true });

  const withCharset = await twirp(emu, 'ListRooms', {}, { token, headers: { 'Content-Type': 'application/json;charset=UTF-8' } });
  assert.equal(withCharset.status, 200);

  const text = await twirp(emu, 'ListRooms', {}, { token, headers: { 'Content-Type': 'text/plain' } });
  assert.equal(text.status, 404);
  assert.equal(text.json.code, 'bad_route');
  assert.match(text.json.msg, /unexpected Content-Type/);

  const protobuf = await twirp(emu, 'ListRooms', {}, { token, headers: { 'Content-Type': 'application/protobuf' } });
  assert.equal(protobuf.json.code, 'bad_route');

  const get = await twirp(emu, 'ListRooms', null, { token, httpMethod: 'GET' });
  assert.equal(get.status, 404);
  assert.equal(get.json.code, 'bad_route');

  const unknown = await twirp(emu, 'ListRoomz', {}, { token });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.code, 'bad_route');

  for (const path of ['/nothing', '/twirp/livekit.Egress/ListEgress', '/twirp/livekit.RoomService']) {
    const res = await fetch(`${emu.url}${path}`, { method: 'POST', signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 404, path);
    assert.match(res.headers.get('content-type'), /^text\/plain/);
    assert.equal(await res.text(), '404 page not found\n');
  }

  const health = await fetch(`${emu.url}/`, { signal: AbortSignal.timeout(5000) });
  assert.equal(await health.text(), 'OK');
});

test('request bodies over 10 MiB are refused with 413', T, async (t) => {
  const emu = await startEmu(t);
  const token = await apiToken({ roomCreate: true });
  const res = await twirp(emu, 'CreateRoom', null, { token, rawBody: JSON.stringify({ name: 'x', metadata: 'y'.repeat(10 * 1024 * 1024) }) });
  assert.equal(res.status, 413);
  assert.equal(res.text, 'request body too large');
});

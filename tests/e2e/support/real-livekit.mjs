// The real LiveKit server in the test stack: livekit-server (scripts/livekit-server.sh) on
// 127.0.0.1, Convene wired to it (one instance, or two on PostgreSQL + Redis behind the test proxy
// when CONVENE_E2E_CLUSTER=1), LiveKit's webhooks sent both to Convene and to a recorder of the
// raw deliveries, and participants that join over real WebRTC with @livekit/rtc-node, each
// publishing a synthetic audio and video track.
//
// Every wait polls with a deadline; nothing here asserts how fast anything is. Every process
// started here (livekit-server, Convene) is stopped by close(), and livekit-server also when the
// test process exits without calling it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { apiClient, closedPort, repoRoot, request, startConvene } from './convene.mjs';
import { startCluster } from './cluster.mjs';
import {
  RoomServiceClient,
  TokenVerifier,
  decodeJwt,
  participantHeaders,
  secretsOf,
  sleep,
} from './livekit.mjs';

const rtc = await import('@livekit/rtc-node');
// rtc-node logs at debug level to stdout unless NODE_ENV=production, which would bury node:test's
// report; its logger is not exported, so it is reached by file (the same module instance).
{
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@livekit/rtc-node');
  require(path.join(path.dirname(entry), 'log.cjs')).log.level = 'warn';
}

const SCRIPT = path.join(repoRoot, 'scripts', 'livekit-server.sh');
/** Where each server's state directory lives; `make` stops whatever a crashed run left there. */
export const LIVEKIT_RUNS = path.join(repoRoot, 'build', 'livekit-runs');

export const LK_KEY = 'devkey';

/** Polls `fn` until it returns a truthy value; throws `label` after `timeoutMs`. */
export async function eventually(fn, { timeoutMs = 20000, intervalMs = 100, label = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${label} not met within ${timeoutMs} ms${lastError ? `: ${lastError.message}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

const running = new Set();
process.on('exit', () => {
  for (const dir of running) {
    try {
      execFileSync(SCRIPT, ['stop', dir], { stdio: 'ignore', timeout: 15000 });
    } catch {
      // best effort at exit; `make` sweeps LIVEKIT_RUNS afterwards
    }
  }
});

/**
 * Starts livekit-server with the given webhook URLs: {url (ws), httpUrl, apiKey, apiSecret, pid,
 * version, dir, logs(), stop()}. `port` fixes the HTTP/WebSocket port (Convene is told it first).
 */
export function startLiveKitServer({ webhookUrls = [], port, apiSecret, emptyTimeout = 10, departureTimeout = 3 } = {}) {
  fs.mkdirSync(LIVEKIT_RUNS, { recursive: true });
  const dir = path.join(LIVEKIT_RUNS, `lk-${process.pid}-${randomBytes(4).toString('hex')}`);
  running.add(dir);
  let out;
  try {
    out = execFileSync(SCRIPT, ['start', dir, ...webhookUrls], {
      env: {
        ...process.env,
        ...(port ? { LIVEKIT_PORT: String(port) } : {}),
        LIVEKIT_API_KEY: LK_KEY,
        ...(apiSecret ? { LIVEKIT_API_SECRET: apiSecret } : {}),
        LIVEKIT_EMPTY_TIMEOUT: String(emptyTimeout),
        LIVEKIT_DEPARTURE_TIMEOUT: String(departureTimeout),
      },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60000,
    });
  } catch (err) {
    running.delete(dir);
    throw new Error(`livekit-server did not start: ${err.stderr ?? err.message}`);
  }
  const env = Object.fromEntries(
    [...out.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]),
  );
  return {
    url: env.LIVEKIT_TEST_URL,
    httpUrl: env.LIVEKIT_TEST_HTTP_URL,
    apiKey: env.LIVEKIT_TEST_API_KEY,
    apiSecret: env.LIVEKIT_TEST_API_SECRET,
    pid: Number(env.LIVEKIT_TEST_PID),
    version: env.LIVEKIT_TEST_VERSION,
    dir,
    logs: () => {
      try {
        return fs.readFileSync(path.join(dir, 'server.log'), 'utf8');
      } catch {
        return '';
      }
    },
    stop() {
      if (!running.has(dir)) return;
      execFileSync(SCRIPT, ['stop', dir], { stdio: 'ignore', timeout: 30000 });
      running.delete(dir);
    },
  };
}

/**
 * Records every webhook delivery LiveKit makes to it, raw ({headers, body, at}), and answers 200:
 * what LiveKit sent, independently of what Convene made of it.
 */
async function startRecorder() {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      res.end('ok');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/livekit-recorder`,
    received,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

/**
 * A forwarder in front of Convene's webhook route that notes when Convene answered each LiveKit
 * delivery: [{event, identity, room, status, answeredAt (performance.now())}]. For measurements.
 */
async function startTap(targetUrl) {
  const answered = [];
  const target = new URL(targetUrl);
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const up = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: req.headers }, (ur) => {
        ur.resume();
        ur.on('end', () => {
          const at = performance.now();
          const event = JSON.parse(body.toString('utf8'));
          answered.push({ event: event.event, identity: event.participant?.identity, room: event.room?.name, status: ur.statusCode, answeredAt: at });
          res.writeHead(ur.statusCode);
          res.end();
        });
      });
      up.on('error', () => { res.writeHead(502); res.end(); });
      up.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/livekit/webhook`,
    answered,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

/**
 * Convene and the real LiveKit server. Options: conveneEnv, cluster (default: CONVENE_E2E_CLUSTER),
 * emptyTimeout / departureTimeout (LiveKit's room defaults, seconds), tap (LiveKit's webhooks reach
 * Convene through startTap's forwarder, as `stack.tap`).
 */
export async function startRealStack({ conveneEnv = {}, cluster, emptyTimeout, departureTimeout, tap = false } = {}) {
  const clustered = Boolean(cluster ?? process.env.CONVENE_E2E_CLUSTER === '1');
  // Convene needs LiveKit's URL at start and LiveKit needs Convene's webhook URL at start: the
  // LiveKit port is chosen first.
  const lkPort = await closedPort();
  const apiSecret = `${randomBytes(24).toString('hex')}-livekit-test`;
  const recorder = await startRecorder();
  const env = {
    LIVEKIT_URL: `ws://127.0.0.1:${lkPort}`,
    LIVEKIT_API_KEY: LK_KEY,
    LIVEKIT_API_SECRET: apiSecret,
    ...conveneEnv,
  };
  let convene;
  let livekit;
  let tapServer = null;
  let webhookUrl;
  try {
    convene = clustered ? await startCluster({ env }) : await startConvene({ env });
    if (tap) tapServer = await startTap(`${convene.url}/livekit/webhook`);
    webhookUrl = tapServer ? tapServer.url : `${convene.url}/livekit/webhook`;
    livekit = startLiveKitServer({
      webhookUrls: [webhookUrl, recorder.url],
      port: lkPort,
      apiSecret,
      emptyTimeout,
      departureTimeout,
    });
  } catch (err) {
    await convene?.close();
    await tapServer?.close();
    await recorder.close();
    throw err;
  }
  const api = apiClient(convene);
  const participants = new Set();
  const verifier = new TokenVerifier(LK_KEY, apiSecret);

  const stack = {
    convene,
    livekit,
    api,
    recorder,
    tap: tapServer,
    /** Where LiveKit sends Convene's webhooks (the tap when there is one). */
    webhookUrl,
    apiSecret,
    clustered,

    async createRoom(body = {}) {
      const res = await api.post('/api/v1/rooms', { json: body });
      assert.equal(res.status, 201, `create room: ${res.text}`);
      const room = res.body;
      Object.defineProperty(room, 'secrets', { value: secretsOf(room), enumerable: false });
      return room;
    },

    async getRoom(roomId) {
      const res = await api.get(`/api/v1/rooms/${encodeURIComponent(roomId)}`);
      assert.equal(res.status, 200, `get room ${roomId}: ${res.text}`);
      return res.body;
    },

    /** `previous`: the x-participant-token header (refresh); `cookie`: the OvMeetParticipantToken
     *  cookie, where generate reads a previous token. */
    tokenRequest(body, { refresh = false, previous, cookie } = {}) {
      const headers = previous ? { 'x-participant-token': `Bearer ${previous}` } : {};
      if (cookie) headers.cookie = `OvMeetParticipantToken=${cookie}`;
      const p = refresh ? '/internal-api/v1/participants/token/refresh' : '/internal-api/v1/participants/token';
      return request(convene.url, 'POST', p, { json: body, headers });
    },

    /**
     * A named token for `room` with `role`: {token, identity (the token's sub), name, role}. The
     * identity is read from the token, never derived from the name.
     */
    async participant(room, name, role = 'speaker') {
      const res = await stack.tokenRequest({ roomId: room.roomId, secret: room.secrets[role], participantName: name });
      assert.equal(res.status, 200, `token for ${name}: ${res.text}`);
      const { payload } = decodeJwt(res.body.token);
      assert.equal(typeof payload.sub, 'string');
      return { token: res.body.token, identity: payload.sub, name: payload.name, role };
    },

    /** Joins over WebRTC with `token`; the participant is closed by stack.close() at the latest. */
    async join(token, options = {}) {
      const p = await joinParticipant(livekit.url, token, options);
      participants.add(p);
      return p;
    },

    /**
     * Disconnects every participant joined so far: each one publishes media, so those a test
     * leaves behind would load the machine for the tests after it.
     */
    async leaveAll() {
      await Promise.allSettled([...participants].map((p) => p.leave()));
      participants.clear();
    },

    roomService() {
      return new RoomServiceClient(livekit.httpUrl, LK_KEY, apiSecret, { requestTimeout: 10 });
    },

    /** LiveKit's own participant list of a room (identities sorted). */
    async lkIdentities(roomId) {
      const list = await stack.roomService().listParticipants(roomId);
      return list.map((p) => p.identity).sort();
    },

    /**
     * Every webhook LiveKit delivered (to the recorder; Convene got the same requests), in arrival
     * order: {event, id, room, participant, body, headers, at}.
     */
    webhooks(filter = {}) {
      return recorder.received
        .map((r) => ({ ...JSON.parse(r.body), raw: r.body, headers: r.headers, at: r.at }))
        .filter((w) => (filter.event === undefined || w.event === filter.event)
          && (filter.room === undefined || w.room?.name === filter.room)
          && (filter.identity === undefined || w.participant?.identity === filter.identity));
    },

    /** Waits for a webhook matching `filter` and returns it. */
    waitWebhook(filter, opts = {}) {
      return eventually(() => stack.webhooks(filter)[0], { label: `webhook ${JSON.stringify(filter)}`, ...opts });
    },

    /**
     * Waits until Convene answered (200) the `nth` (1-based) LiveKit delivery matching
     * {event, room, identity}; needs `tap`. Convene answers once it has applied the event.
     */
    waitAnswered({ nth = 1, ...filter }, opts = {}) {
      assert.ok(tapServer, 'startRealStack({tap: true}) records Convene’s answers');
      const matches = () => tapServer.answered.filter((a) => a.status === 200
        && (filter.event === undefined || a.event === filter.event)
        && (filter.room === undefined || a.room === filter.room)
        && (filter.identity === undefined || a.identity === filter.identity));
      return eventually(() => matches()[nth - 1], { label: `Convene answered ${JSON.stringify({ nth, ...filter })}`, ...opts });
    },

    /** Verifies a recorded delivery as LiveKit signs it: bare JWT, sha256 claim of the raw body. */
    async verifyDelivery(w) {
      const claims = await verifier.verify(w.headers.authorization);
      assert.equal(claims.sha256, createHash('sha256').update(w.raw, 'utf8').digest('base64'));
      return claims;
    },

    /** Posts a raw webhook body to Convene's LiveKit webhook route with the given Authorization. */
    postWebhook(raw, authorization) {
      const headers = { 'content-type': 'application/webhook+json' };
      if (authorization) headers.authorization = authorization;
      return request(convene.url, 'POST', '/livekit/webhook', { body: raw, headers });
    },

    endMeeting(roomId, token) {
      return request(convene.url, 'DELETE', `/internal-api/v1/meetings/${encodeURIComponent(roomId)}`, {
        headers: participantHeaders(token, 'moderator'),
      });
    },
    kick(roomId, identity, token) {
      return request(convene.url, 'DELETE',
        `/internal-api/v1/meetings/${encodeURIComponent(roomId)}/participants/${encodeURIComponent(identity)}`,
        { headers: participantHeaders(token, 'moderator') });
    },
    changeRole(roomId, identity, role, token) {
      return request(convene.url, 'PUT',
        `/internal-api/v1/meetings/${encodeURIComponent(roomId)}/participants/${encodeURIComponent(identity)}/role`,
        { headers: participantHeaders(token, 'moderator'), json: { role } });
    },

    async close() {
      await stack.leaveAll();
      try {
        livekit.stop();
      } finally {
        await convene.close();
        await tapServer?.close();
        await recorder.close();
      }
    },
  };
  return stack;
}

// ------------------------------------------------------------------ real participants

const AUDIO_RATE = 48000;
const AUDIO_FRAME_MS = 20;
const VIDEO_W = 160;
const VIDEO_H = 120;

/**
 * Synthetic media: a 440 Hz tone and a moving grey ramp at 10 frames/s, fed while published.
 * Returns {tracks: [audio, video], stop()}.
 */
function syntheticMedia() {
  const audioSource = new rtc.AudioSource(AUDIO_RATE, 1);
  const videoSource = new rtc.VideoSource(VIDEO_W, VIDEO_H);
  const samples = (AUDIO_RATE * AUDIO_FRAME_MS) / 1000;
  let t = 0;
  let frameNo = 0;
  let stopped = false;
  const audioTimer = setInterval(() => {
    const pcm = new Int16Array(samples);
    for (let i = 0; i < samples; i++, t++) pcm[i] = Math.round(3000 * Math.sin((2 * Math.PI * 440 * t) / AUDIO_RATE));
    audioSource.captureFrame(new rtc.AudioFrame(pcm, AUDIO_RATE, 1, samples)).catch(() => {});
  }, AUDIO_FRAME_MS);
  const videoTimer = setInterval(() => {
    if (stopped) return;
    const rgba = new Uint8Array(VIDEO_W * VIDEO_H * 4);
    for (let i = 0; i < VIDEO_W * VIDEO_H; i++) {
      const v = (i + frameNo * 7) % 256;
      rgba[i * 4] = v;
      rgba[i * 4 + 1] = v;
      rgba[i * 4 + 2] = v;
      rgba[i * 4 + 3] = 255;
    }
    frameNo++;
    try {
      videoSource.captureFrame(new rtc.VideoFrame(rgba, VIDEO_W, VIDEO_H, rtc.VideoBufferType.RGBA));
    } catch {
      // the source is closed when the participant leaves
    }
  }, 100);
  audioTimer.unref();
  videoTimer.unref();
  return {
    audio: rtc.LocalAudioTrack.createAudioTrack('synthetic-microphone', audioSource),
    video: rtc.LocalVideoTrack.createVideoTrack('synthetic-camera', videoSource),
    stop() {
      stopped = true;
      clearInterval(audioTimer);
      clearInterval(videoTimer);
    },
  };
}

/**
 * A participant connected over WebRTC, publishing synthetic audio and video (unless
 * `publish: false`), recording what its client sees:
 *   { room (rtc.Room), identity, name, data: [{topic, payload (parsed JSON or text), from}],
 *     subscribed: [{identity, kind}], metadata (own, latest), disconnectReason (name | null),
 *     waitData(topic), waitDisconnected(), waitSubscribed(identity, count), leave() }
 */
export async function joinParticipant(url, token, { publish = true, connectTimeoutMs = 30000 } = {}) {
  const room = new rtc.Room();
  const p = {
    room,
    identity: decodeJwt(token).payload.sub,
    name: decodeJwt(token).payload.name,
    data: [],
    subscribed: [],
    metadataSeen: [],
    disconnectReason: null,
    media: null,
  };
  room.on(rtc.RoomEvent.DataReceived, (payload, participant, _kind, topic) => {
    const text = Buffer.from(payload).toString('utf8');
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    p.data.push({ topic, payload: parsed, from: participant?.identity ?? null });
  });
  room.on(rtc.RoomEvent.TrackSubscribed, (track, _pub, participant) => {
    p.subscribed.push({ identity: participant.identity, kind: track.kind });
  });
  room.on(rtc.RoomEvent.ParticipantMetadataChanged, (metadata, participant) => {
    if (participant.identity === room.localParticipant?.identity) p.metadataSeen.push(metadata);
  });
  room.on(rtc.RoomEvent.Disconnected, (reason) => {
    p.disconnectReason = rtc.DisconnectReason[reason] ?? String(reason);
  });

  let timer;
  try {
    await Promise.race([
      room.connect(url, token, { autoSubscribe: true, dynacast: false }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`connect did not finish within ${connectTimeoutMs} ms`)), connectTimeoutMs);
      }),
    ]);
  } catch (err) {
    await room.disconnect().catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
  if (publish) {
    p.media = syntheticMedia();
    await room.localParticipant.publishTrack(p.media.audio, new rtc.TrackPublishOptions({ source: rtc.TrackSource.SOURCE_MICROPHONE }));
    await room.localParticipant.publishTrack(p.media.video, new rtc.TrackPublishOptions({ source: rtc.TrackSource.SOURCE_CAMERA }));
  }

  p.metadata = () => room.localParticipant?.metadata;
  p.waitData = (topic, opts = {}) =>
    eventually(() => p.data.find((d) => d.topic === topic), { label: `${p.name}: data on ${topic}`, ...opts });
  p.waitDisconnected = (opts = {}) =>
    eventually(() => p.disconnectReason, { label: `${p.name} disconnected`, ...opts });
  /** Waits until this client subscribed to `count` tracks of `identity`; returns their kinds. */
  p.waitSubscribed = (identity, count = 2, opts = {}) =>
    eventually(() => {
      const kinds = p.subscribed.filter((s) => s.identity === identity).map((s) => s.kind);
      return kinds.length >= count ? kinds : null;
    }, { label: `${p.name} subscribed to ${count} tracks of ${identity}`, ...opts });
  p.leave = async () => {
    p.media?.stop();
    p.media = null;
    if (p.disconnectReason === null) await room.disconnect().catch(() => {});
  };
  return p;
}

/** Frees the native WebRTC library's resources; call once, after the last participant left. */
export function disposeRtc() {
  return rtc.dispose();
}

export const { TrackKind } = rtc;

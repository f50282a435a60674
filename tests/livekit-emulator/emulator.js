// Strict emulator of the LiveKit server's control plane for Convene's tests:
// Twirp RoomService + signed webhooks + a test-only API. See README.md.
import http from 'node:http';
import { DisconnectReason } from '@livekit/protocol';
import { authenticate, verifyToken } from './auth.js';
import { HttpError } from './errors.js';
import { applyFault, normalizeFaults } from './faults.js';
import { toTwirpJson } from './protojson.js';
import { EmulatorState } from './state.js';
import { handleTestApi } from './test-api.js';
import { TWIRP_PREFIX, handleTwirp, sendText } from './twirp.js';
import { WebhookNotifier } from './webhooks.js';

// --fast: one emulated second lasts 20 ms (a 20 s departure timeout becomes 400 ms).
export const FAST_TIME_SCALE = 0.02;

const isUint32 = (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

/**
 * Starts an emulator listening on 127.0.0.1.
 * @param {object} [options]
 * @param {number} [options.port=0]
 * @param {string} [options.apiKey='devkey']
 * @param {string} [options.apiSecret='secret']
 * @param {Record<string,string>} [options.keys] extra api key -> secret pairs accepted on the API
 * @param {string|null} [options.webhookUrl=null] signed webhooks go here (none when null)
 * @param {boolean} [options.fast=false] shorthand for timeScale = 0.02
 * @param {number} [options.timeScale=1] multiplier applied to room timeouts and webhook backoff
 * @param {number} [options.emptyTimeout=300] server default (s) for rooms created with 0
 * @param {number} [options.departureTimeout=20] server default (s)
 * @param {boolean} [options.autoCreate=true] room.auto_create
 * @param {boolean} [options.enableRemoteUnmute=false] room.enable_remote_unmute
 * @param {number} [options.webhookRetries=4] retries after the first attempt
 * @param {number} [options.webhookTimeoutMs=10000] per-attempt timeout
 */
export async function startEmulator(options = {}) {
  const apiKey = options.apiKey ?? 'devkey';
  const apiSecret = options.apiSecret ?? 'secret';
  const keys = new Map(Object.entries(options.keys ?? {}));
  keys.set(apiKey, apiSecret);

  const initialConfig = Object.freeze({
    webhookUrl: options.webhookUrl || null,
    emptyTimeout: options.emptyTimeout ?? 300,
    departureTimeout: options.departureTimeout ?? 20,
    autoCreate: options.autoCreate ?? true,
    enableRemoteUnmute: options.enableRemoteUnmute ?? false,
    timeScale: options.timeScale ?? (options.fast ? FAST_TIME_SCALE : 1),
    webhookRetries: options.webhookRetries ?? 4,
    webhookTimeoutMs: options.webhookTimeoutMs ?? 10000,
  });
  const config = { ...initialConfig };
  validateConfig(config);

  const notifier = new WebhookNotifier({ settings: () => ({ ...config, apiKey, apiSecret }) });
  const state = new EmulatorState({
    config,
    emit: (event, roomName, payload) => notifier.enqueue(event, roomName, payload),
  });
  let faults = normalizeFaults();
  let callLog = [];
  const ctx = {
    state,
    keys,
    get callLog() {
      return callLog;
    },
  };

  // The handle's methods double as the implementation of the /_test/ routes.
  const api = {
    async join({ token, metadata, attributes } = {}) {
      if (typeof token !== 'string' || !token) throw new HttpError(401, 'no permissions to access the room');
      if (metadata !== undefined && typeof metadata !== 'string') throw new HttpError(400, 'metadata must be a string');
      if (attributes !== undefined && !isStringMap(attributes)) throw new HttpError(400, 'attributes must be a string map');
      const auth = await verifyToken(token, keys);
      return toTwirpJson(state.join(auth, { metadata, attributes }));
    },
    async leave({ room, identity, reason } = {}) {
      let code = DisconnectReason.CLIENT_INITIATED;
      if (reason !== undefined) {
        code = DisconnectReason[reason];
        if (typeof code !== 'number') throw new Error(`unknown DisconnectReason ${JSON.stringify(reason)}`);
      }
      state.leave(String(room ?? ''), String(identity ?? ''), code);
    },
    snapshot() {
      return {
        rooms: [...state.rooms.values()].map((r) => state.describeRoom(r, toTwirpJson)),
        config: { ...config },
        faults: { ...faults },
      };
    },
    webhookLog({ event, room } = {}) {
      return notifier.log
        .filter((e) => (!event || e.event === event) && (!room || e.room === room))
        .map((e) => ({ ...e, attempts: e.attempts.map((a) => ({ ...a })), payload: JSON.parse(e.body) }));
    },
    callLog({ method } = {}) {
      return callLog.filter((c) => !method || c.method === method);
    },
    getFaults: () => ({ ...faults }),
    setFaults(input) {
      faults = normalizeFaults(input);
      return { ...faults };
    },
    getConfig: () => ({ ...config }),
    configure(changes = {}) {
      const allowed = Object.keys(initialConfig);
      for (const k of Object.keys(changes)) if (!allowed.includes(k)) throw new Error(`unknown config key ${k}`);
      const next = { ...config, ...changes };
      if (next.webhookUrl === '') next.webhookUrl = null;
      validateConfig(next);
      Object.assign(config, next);
      state.rescheduleAll();
      return { ...config };
    },
    setRoomTimeouts({ room, emptyTimeout, departureTimeout } = {}) {
      for (const v of [emptyTimeout, departureTimeout]) {
        if (v !== undefined && !isUint32(v)) throw new Error('timeouts must be non-negative integers (seconds)');
      }
      return toTwirpJson(state.setRoomTimeouts(String(room ?? ''), { emptyTimeout, departureTimeout }));
    },
    async waitForWebhooks(timeoutMs = 5000) {
      try {
        await notifier.idle(timeoutMs);
      } catch (err) {
        err.status = 504;
        throw err;
      }
    },
    /** Polls `predicate(api)` until truthy; rejects after timeoutMs. */
    async waitFor(predicate, { timeoutMs = 5000, intervalMs = 10 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await predicate(api);
        if (value) return value;
        if (Date.now() >= deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    },
    async reset() {
      state.clear();
      notifier.reset();
      callLog = [];
      faults = normalizeFaults();
      Object.assign(config, initialConfig);
    },
  };

  const server = http.createServer((req, res) => {
    route(req, res).catch((err) => {
      if (!res.headersSent) sendText(res, 500, `emulator error: ${err?.message ?? err}`);
      else res.destroy();
    });
  });

  async function route(req, res) {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname.startsWith('/_test/')) return handleTestApi(api, req, res, url);

    if (url.pathname.startsWith(TWIRP_PREFIX)) {
      if (await applyFault(faults, url.pathname.slice(TWIRP_PREFIX.length), req, res, callLog)) return;
      return handleTwirp(ctx, req, res, url);
    }

    // Every other route of the LiveKit port sits behind the same auth middleware.
    let auth;
    try {
      auth = await authenticate(req, url, keys);
    } catch (err) {
      if (err instanceof HttpError) return sendText(res, err.status, err.message);
      throw err;
    }
    if (url.pathname === '/rtc/validate' || url.pathname === '/rtc/v1/validate') {
      try {
        state.join(auth, { dryRun: true });
        return sendText(res, 200, 'success');
      } catch (err) {
        if (err instanceof HttpError) return sendText(res, err.status, err.message);
        throw err;
      }
    }
    if (url.pathname === '/rtc' || url.pathname === '/rtc/v1') {
      // No WebSocket signalling here; a non-upgrade request gets an empty 404.
      res.writeHead(404, { 'Content-Length': 0 });
      return res.end();
    }
    if (url.pathname === '/' && (req.method === 'GET' || req.method === 'HEAD')) return sendText(res, 200, 'OK');
    // Go's http.NotFound.
    return sendText(res, 404, '404 page not found\n');
  }

  const host = '127.0.0.1';
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address();

  return {
    port,
    host,
    url: `http://${host}:${port}`,
    apiKey,
    apiSecret,
    state,
    webhooks: notifier,
    config,
    ...api,
    async close() {
      state.clear();
      notifier.reset();
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function isStringMap(v) {
  return v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

function validateConfig(c) {
  if (c.webhookUrl !== null) {
    if (typeof c.webhookUrl !== 'string') throw new Error('webhookUrl must be a string or null');
    const u = new URL(c.webhookUrl); // throws on garbage
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('webhookUrl must be http(s)');
  }
  if (!isUint32(c.emptyTimeout) || c.emptyTimeout === 0) throw new Error('emptyTimeout must be a positive integer (s)');
  if (!isUint32(c.departureTimeout) || c.departureTimeout === 0) throw new Error('departureTimeout must be a positive integer (s)');
  if (typeof c.autoCreate !== 'boolean') throw new Error('autoCreate must be a boolean');
  if (typeof c.enableRemoteUnmute !== 'boolean') throw new Error('enableRemoteUnmute must be a boolean');
  if (typeof c.timeScale !== 'number' || !(c.timeScale > 0)) throw new Error('timeScale must be a positive number');
  if (!Number.isInteger(c.webhookRetries) || c.webhookRetries < 0) throw new Error('webhookRetries must be a non-negative integer');
  if (!(c.webhookTimeoutMs > 0)) throw new Error('webhookTimeoutMs must be positive');
}

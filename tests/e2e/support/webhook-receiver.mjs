// A customer's webhook endpoint for the outgoing-webhook end-to-end tests: an HTTP server on
// 127.0.0.1 that verifies every delivery the way OpenVidu Meet's documentation tells customers to,
// records it, and answers as the test asks (2xx, an error status, a slow answer, a hang, a
// dropped connection), or is stopped and started again on the same port (an outage).
//
// Verification (reference-api.md §16, convene-deviations.md §8; OpenVidu Meet docs "Validate
// events"): X-Signature must be the lowercase hex HMAC-SHA256, keyed with the API key, of
// `${X-Timestamp}.${raw body}`, computed over the RAW body bytes as received and compared in
// constant time. Two further checks the documentation's snippets imply are recorded but not
// enforced, so that tests can assert on them:
//   - reserializedMatches: the Node.js snippet signs `JSON.stringify(req.body)` (the parsed body
//     re-serialised), which verifies only if that re-serialisation reproduces the raw bytes;
//   - ageMs / fresh: the snippets reject a delivery whose X-Timestamp is 2 minutes old or more.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

/** The documentation's replay window (MAX_WEBHOOK_AGE = 120 * 1000 in every snippet). */
export const DOCS_MAX_WEBHOOK_AGE_MS = 120 * 1000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Lowercase hex HMAC-SHA256 of `${timestamp}.` followed by the raw body bytes. */
export function webhookSignature(apiKey, timestamp, rawBody) {
  const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(String(rawBody), 'utf8');
  return createHmac('sha256', apiKey).update(Buffer.from(`${timestamp}.`, 'utf8')).update(body).digest('hex');
}

/**
 * Verifies one delivery: {verified, reason}. `signature` must be exactly 64 lowercase hex digits
 * (the spec says lowercase hex); the comparison is constant-time over the decoded bytes.
 */
export function verifyWebhook({ apiKey, timestamp, signature, rawBody }) {
  if (!apiKey) return { verified: false, reason: 'no API key to verify with' };
  if (typeof signature !== 'string' || signature === '') return { verified: false, reason: 'no X-Signature' };
  if (typeof timestamp !== 'string' || !/^\d+$/.test(timestamp)) return { verified: false, reason: `bad X-Timestamp ${JSON.stringify(timestamp)}` };
  if (!/^[0-9a-f]{64}$/.test(signature)) return { verified: false, reason: `X-Signature is not 64 lowercase hex digits: ${JSON.stringify(signature)}` };
  const expected = Buffer.from(webhookSignature(apiKey, timestamp, rawBody), 'hex');
  const actual = Buffer.from(signature, 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return { verified: false, reason: 'signature mismatch' };
  }
  return { verified: true, reason: '' };
}

/**
 * How to answer a request. A responder is one of:
 *   200 / 204 / 404 / 500 ...       that status at once (empty body)
 *   { status, delayMs }             that status after delayMs (a slow receiver)
 *   'hang'                          never answer (until the client gives up or the receiver stops)
 *   'close'                         destroy the connection without answering (after the body)
 *   'reset'                         the same with a TCP RST
 */
function normalizeResponder(r) {
  if (typeof r === 'number') return { kind: 'status', status: r, delayMs: 0 };
  if (r === 'hang' || r === 'close' || r === 'reset') return { kind: r };
  if (r && typeof r === 'object' && Number.isInteger(r.status)) return { kind: 'status', status: r.status, delayMs: r.delayMs ?? 0 };
  throw new Error(`bad responder ${JSON.stringify(r)}`);
}

/**
 * Starts a receiver on 127.0.0.1.
 * @param {object} [opts]
 * @param {string} opts.apiKey the key deliveries are verified with (can be changed: setApiKey)
 * @param {number} [opts.port=0]
 * @param {string} [opts.path='/hook'] the URL path of `url` (other paths are recorded too)
 */
export async function startWebhookReceiver({ apiKey, port = 0, path = '/hook' } = {}) {
  let key = apiKey;
  let responder = normalizeResponder(200);
  let chooser = null; // (delivery) => responder | undefined
  const deliveries = [];
  const sockets = new Set();
  let seq = 0;
  let listening = false;

  const server = http.createServer((req, res) => {
    const chunks = [];
    const delivery = {
      seq: ++seq,
      at: Date.now(),
      method: req.method,
      path: req.url,
      headers: { ...req.headers },
      rawBody: null,
      text: '',
      json: undefined,
      parseError: null,
      event: undefined,
      roomId: undefined,
      webhookId: req.headers['x-webhook-id'],
      timestamp: req.headers['x-timestamp'],
      signature: req.headers['x-signature'],
      verified: false,
      verifyError: '',
      reserializedMatches: false,
      ageMs: NaN,
      fresh: false,
      answer: null, // {kind, status?, at}
      clientClosedAt: null, // when the sender closed the connection before we answered
      accepted: false, // a 2xx was written completely before the sender gave up
    };
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      delivery.rawBody = Buffer.concat(chunks);
      delivery.text = delivery.rawBody.toString('utf8');
      try {
        delivery.json = JSON.parse(delivery.text);
        delivery.event = delivery.json?.event;
        delivery.roomId = delivery.json?.data?.roomId;
        delivery.reserializedMatches = JSON.stringify(delivery.json) === delivery.text;
      } catch (err) {
        delivery.parseError = err.message;
      }
      const v = verifyWebhook({ apiKey: key, timestamp: delivery.timestamp, signature: delivery.signature, rawBody: delivery.rawBody });
      delivery.verified = v.verified;
      delivery.verifyError = v.reason;
      delivery.ageMs = delivery.at - Number(delivery.timestamp);
      delivery.fresh = Number.isFinite(delivery.ageMs) && delivery.ageMs < DOCS_MAX_WEBHOOK_AGE_MS;
      deliveries.push(delivery);
      let how = responder;
      if (chooser) {
        const chosen = chooser(delivery);
        if (chosen !== undefined) how = normalizeResponder(chosen);
      }
      answer(delivery, how, req, res);
    });
    res.on('close', () => {
      if (!delivery.answer || !res.writableFinished) delivery.clientClosedAt ??= Date.now();
    });
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  function answer(delivery, how, req, res) {
    const finish = (status) => {
      if (res.destroyed || res.writableEnded) return;
      delivery.answer = { kind: 'status', status, at: Date.now() };
      res.on('finish', () => {
        if (status >= 200 && status < 300 && delivery.clientClosedAt === null) delivery.accepted = true;
      });
      res.writeHead(status, { 'content-length': '0' });
      res.end();
    };
    switch (how.kind) {
      case 'status':
        if (how.delayMs > 0) {
          const t = setTimeout(() => finish(how.status), how.delayMs);
          res.on('close', () => clearTimeout(t));
        } else {
          finish(how.status);
        }
        break;
      case 'hang':
        delivery.answer = { kind: 'hang', at: Date.now() };
        break;
      case 'close':
        delivery.answer = { kind: 'close', at: Date.now() };
        req.socket.destroy();
        break;
      case 'reset':
        delivery.answer = { kind: 'reset', at: Date.now() };
        if (typeof req.socket.resetAndDestroy === 'function') req.socket.resetAndDestroy();
        else req.socket.destroy();
        break;
      default:
        throw new Error(`unknown responder kind ${how.kind}`);
    }
  }

  const listen = (p) =>
    new Promise((resolve, reject) => {
      const onError = (err) => reject(err);
      server.once('error', onError);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', onError);
        listening = true;
        resolve(server.address().port);
      });
    });

  const boundPort = await listen(port);

  const rx = {
    port: boundPort,
    url: `http://127.0.0.1:${boundPort}${path}`,
    deliveries,

    /** The default answer for every request (see normalizeResponder). */
    respondWith(r) {
      responder = normalizeResponder(r);
    },
    /** Per-request answer: fn(delivery) returns a responder, or undefined for the default. */
    setResponder(fn) {
      chooser = fn;
    },
    setApiKey(k) {
      key = k;
    },
    get listening() {
      return listening;
    },

    /** An outage: stop listening (connections are refused) and drop every open connection. */
    async stop() {
      if (!listening) return;
      listening = false;
      const closed = new Promise((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await Promise.race([closed, sleep(5000)]);
    },
    /** Listens again on the same port (after stop()). */
    async start() {
      if (listening) return;
      const deadline = Date.now() + 5000;
      for (;;) {
        try {
          await listen(boundPort);
          return;
        } catch (err) {
          if (err.code !== 'EADDRINUSE' || Date.now() > deadline) throw err;
          await sleep(50);
        }
      }
    },
    async close() {
      chooser = null;
      await rx.stop();
    },
    clear() {
      deliveries.length = 0;
    },

    /** Deliveries matching a filter {event, roomId, webhookId, accepted}. */
    select({ event, roomId, webhookId, accepted } = {}) {
      return deliveries.filter(
        (d) =>
          (event === undefined || d.event === event) &&
          (roomId === undefined || d.roomId === roomId) &&
          (webhookId === undefined || d.webhookId === webhookId) &&
          (accepted === undefined || d.accepted === accepted),
      );
    },
    /**
     * Distinct events (by X-Webhook-Id) that were accepted at least once, in the order of their
     * first acceptance.
     */
    acceptedEvents(filter = {}) {
      const seen = new Map();
      for (const d of rx.select({ ...filter, accepted: true })) if (!seen.has(d.webhookId)) seen.set(d.webhookId, d);
      return [...seen.values()];
    },
    /** Polls until predicate(rx) is truthy; returns its value; throws after timeoutMs. */
    async waitFor(predicate, timeoutMs = 10000, label = 'receiver condition') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = predicate(rx);
        if (v) return v;
        if (Date.now() >= deadline) {
          const seen = deliveries.map((d) => `#${d.seq} ${d.event} ${d.roomId} ${d.webhookId} ${d.answer?.kind}${d.answer?.status ?? ''}${d.accepted ? ' accepted' : ''}`);
          throw new Error(`${label} not met within ${timeoutMs} ms; deliveries:\n  ${seen.join('\n  ')}`);
        }
        await sleep(20);
      }
    },
    /** Waits until `count` distinct events matching `filter` were accepted; returns them. */
    async waitForAccepted(filter, count = 1, timeoutMs = 10000) {
      return rx.waitFor(
        () => {
          const got = rx.acceptedEvents(filter);
          return got.length >= count ? got : null;
        },
        timeoutMs,
        `${count} accepted ${JSON.stringify(filter)}`,
      );
    },
  };
  return rx;
}

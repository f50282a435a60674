// Outgoing LiveKit webhooks (livekit.md §5): signed, per-room ordered, retried.
import { createHash } from 'node:crypto';
import { AccessToken } from 'livekit-server-sdk';
import { WebhookEvent } from '@livekit/protocol';
import { toWebhookJsonString } from './protojson.js';
import { newId } from './state.js';

// retryablehttp defaults of the server: 4 retries (5 attempts), backoff 1 s doubling,
// capped at 30 s; retried on connection errors, 429 and 5xx except 501.
const DEFAULT_RETRIES = 4;
const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 30000;
// The server sets no request timeout; a test double must not hang forever, though.
const DEFAULT_ATTEMPT_TIMEOUT_MS = 10000;

const isRetryableStatus = (s) => s === 429 || (s >= 500 && s !== 501);

/**
 * Builds the Authorization value: a bare JWT (no "Bearer "), HS256 with the api secret,
 * iss = api key, valid 5 minutes, `sha256` = padded standard base64 of SHA-256(body).
 */
export async function signWebhook(body, apiKey, apiSecret) {
  const token = new AccessToken(apiKey, apiSecret, { ttl: '5m' });
  token.sha256 = createHash('sha256').update(body, 'utf8').digest('base64');
  return token.toJwt();
}

export class WebhookNotifier {
  /**
   * @param {object} opts
   * @param {() => {webhookUrl: string|null, apiKey: string, apiSecret: string, timeScale: number,
   *                 webhookRetries?: number, webhookTimeoutMs?: number}} opts.settings
   *   read at enqueue time so /_test/config changes apply to later events
   */
  constructor({ settings }) {
    this.settings = settings;
    /** Delivery log, one entry per event, in emission order. */
    this.log = [];
    /** room name -> array of pending entries (head is being delivered) */
    this.queues = new Map();
    this.generation = 0; // bumped by reset() to abandon in-flight deliveries
    this.idleWaiters = [];
  }

  /** Queues an event for the room's queue; returns the log entry. */
  enqueue(eventName, roomName, { room, participant } = {}) {
    const s = this.settings();
    const event = new WebhookEvent({
      event: eventName,
      room,
      participant,
      id: newId('EV_'),
      createdAt: BigInt(Math.floor(Date.now() / 1000)),
    });
    const body = toWebhookJsonString(event);
    const entry = {
      id: event.id,
      event: eventName,
      room: roomName,
      participant: participant?.identity ?? null,
      createdAt: Date.now(),
      url: s.webhookUrl || null,
      body,
      status: s.webhookUrl ? 'pending' : 'skipped', // pending | delivered | failed | skipped | abandoned
      httpStatus: null,
      attempts: [],
    };
    this.log.push(entry);
    if (!entry.url) return entry;

    // Per-room FIFO: only the head of a room's queue is in flight, so the receiver
    // sees one room's events one at a time and in order.
    let queue = this.queues.get(roomName);
    if (!queue) {
      queue = [];
      this.queues.set(roomName, queue);
    }
    queue.push({ entry, settings: s });
    if (queue.length === 1) this.#drain(roomName, queue, this.generation);
    return entry;
  }

  async #drain(roomName, queue, generation) {
    while (queue.length && generation === this.generation) {
      const { entry, settings } = queue[0];
      await this.#deliver(entry, settings, generation);
      queue.shift();
    }
    if (this.queues.get(roomName) === queue && queue.length === 0) this.queues.delete(roomName);
    this.#checkIdle();
  }

  async #deliver(entry, s, generation) {
    const retries = s.webhookRetries ?? DEFAULT_RETRIES;
    const timeoutMs = s.webhookTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (generation !== this.generation) {
        entry.status = 'abandoned';
        return;
      }
      const started = Date.now();
      const record = { at: started, status: null, error: null, durationMs: 0 };
      entry.attempts.push(record);
      try {
        // Signed per attempt so a late retry still carries a fresh, valid token.
        const auth = await signWebhook(entry.body, s.apiKey, s.apiSecret);
        const res = await fetch(entry.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/webhook+json',
            Authorization: auth,
            // Go's HTTP client, as the server sends it.
            'User-Agent': 'Go-http-client/1.1',
          },
          body: entry.body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer().catch(() => {});
        record.status = res.status;
        entry.httpStatus = res.status;
        if (!isRetryableStatus(res.status)) {
          // Like the server, a 4xx other than 429 is final but not treated as a failure.
          entry.status = 'delivered';
          return;
        }
      } catch (err) {
        record.error = describeError(err);
      } finally {
        record.durationMs = Date.now() - started;
      }
      if (attempt < retries) {
        const backoff = Math.min(BACKOFF_BASE_MS * 2 ** attempt, BACKOFF_MAX_MS) * s.timeScale;
        await sleep(backoff);
      }
    }
    entry.status = 'failed';
  }

  #checkIdle() {
    if (this.queues.size !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when no delivery is pending; rejects after timeoutMs. */
  idle(timeoutMs = 5000) {
    if (this.queues.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        reject(new Error(`webhook queues not idle after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.idleWaiters.push(done);
    });
  }

  /** Forgets the log and abandons queued/in-flight deliveries. */
  reset() {
    this.generation++;
    for (const queue of this.queues.values()) {
      for (const { entry } of queue) if (entry.status === 'pending') entry.status = 'abandoned';
    }
    this.queues.clear();
    this.log = [];
    this.#checkIdle();
  }
}

function describeError(err) {
  const cause = err?.cause;
  if (cause?.code) return `${err.message}: ${cause.code}`;
  if (cause?.message) return `${err.message}: ${cause.message}`;
  return err?.name === 'TimeoutError' ? 'timeout' : String(err?.message ?? err);
}

function sleep(ms) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
  });
}

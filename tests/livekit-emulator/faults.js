// Fault injection for Twirp requests, so Convene's error paths can be tested:
//   down     -> the connection is reset before any answer (like a crashed server);
//   slow     -> the answer is delayed by delayMs (then handled normally);
//   error5xx -> Twirp `unavailable` 503, as the OSS server answers when its
//               internal RPC finds no node.
// `methods` (optional) limits the fault to those RoomService method names.
import { TwirpError } from './errors.js';

export const FAULT_MODES = ['none', 'down', 'slow', 'error5xx'];

export function normalizeFaults(input = {}) {
  const mode = input.mode ?? 'none';
  if (!FAULT_MODES.includes(mode)) throw new Error(`mode must be one of ${FAULT_MODES.join(', ')}`);
  const delayMs = input.delayMs ?? (mode === 'slow' ? 1000 : 0);
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error('delayMs must be a non-negative number');
  let methods = null;
  if (input.methods != null) {
    if (!Array.isArray(input.methods) || !input.methods.every((m) => typeof m === 'string')) {
      throw new Error('methods must be an array of RoomService method names');
    }
    methods = [...input.methods];
  }
  return { mode, delayMs, methods };
}

/**
 * Applies the current fault to a Twirp request.
 * @returns {Promise<boolean>} true when the request has been dealt with (do not handle it)
 */
export async function applyFault(faults, method, req, res, callLog) {
  if (faults.mode === 'none') return false;
  if (faults.methods && !faults.methods.includes(method)) return false;
  const record = { seq: callLog.length + 1, at: Date.now(), method, httpMethod: req.method, fault: faults.mode, status: 0 };
  switch (faults.mode) {
    case 'down':
      callLog.push(record);
      // RST rather than FIN where supported: what a client sees from a dead peer.
      if (typeof req.socket.resetAndDestroy === 'function') req.socket.resetAndDestroy();
      else req.socket.destroy();
      return true;
    case 'error5xx': {
      callLog.push(record);
      const err = new TwirpError('unavailable', 'twirp error unknown: no response from servers');
      const body = JSON.stringify(err.toJSON());
      record.status = err.status;
      record.code = err.code;
      res.writeHead(err.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return true;
    }
    case 'slow':
      await new Promise((resolve) => setTimeout(resolve, faults.delayMs).unref());
      return false; // handled (and logged) normally after the delay
    default:
      return false;
  }
}

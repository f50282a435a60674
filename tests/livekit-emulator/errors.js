// Error types shared by the emulator modules.
//
// LiveKit answers in two different shapes on the same port, and Convene's client
// must cope with both, so the emulator keeps them apart:
//   - TwirpError: JSON body {code, msg[, meta]} with the status of Twirp's fixed table;
//   - HttpError:  plain-text body (auth middleware, /rtc join validation, 404 page).

// Twirp v8 code -> HTTP status (livekit.md §2.5).
export const TWIRP_STATUS = Object.freeze({
  canceled: 408,
  unknown: 500,
  invalid_argument: 400,
  malformed: 400,
  deadline_exceeded: 408,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  failed_precondition: 412,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  dataloss: 500,
});

export class TwirpError extends Error {
  constructor(code, msg, meta) {
    super(msg);
    if (!(code in TWIRP_STATUS)) throw new Error(`unknown twirp code ${code}`);
    this.code = code;
    this.meta = meta && Object.keys(meta).length ? meta : undefined;
  }

  get status() {
    return TWIRP_STATUS[this.code];
  }

  toJSON() {
    const body = { code: this.code, msg: this.message };
    if (this.meta) body.meta = this.meta;
    return body;
  }
}

export class HttpError extends Error {
  constructor(status, body) {
    super(body);
    this.status = status;
  }
}

// LiveKit's canned errors, with the wording of the OSS server. "Not found" answers travel through
// the server's internal RPC layer, which prefixes them with "twirp error unknown: " (seen on
// livekit-server 1.13.5; README, differences found).
export const permissionDenied = () => new TwirpError('unauthenticated', 'permissions denied');
export const roomNotFound = () => new TwirpError('not_found', 'twirp error unknown: requested room does not exist');
export const participantNotFound = () => new TwirpError('not_found', 'twirp error unknown: participant does not exist');

// Limit violations: "<what> exceeds limits <n>" with meta.argument = the fixed first part
// (livekit.md §2.4, UpdateParticipant).
export function limitExceeded(what, limit) {
  return new TwirpError('invalid_argument', `${what} ${limit}`, { argument: what });
}

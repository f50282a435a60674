// Twirp RoomService over HTTP/JSON (livekit.md §2), strict about what it accepts.
//
// Request pipeline, in the real server's order:
//   auth middleware (plain-text 401)  ->  Twirp routing: POST, known method,
//   JSON content type (bad_route 404)  ->  body decode  ->  grant check (401
//   unauthenticated)  ->  method semantics.
// Unlike the Go server (which discards unknown JSON fields), decoding here rejects
// unknown fields and wrong types: the emulator exists to prove that Convene's
// client sends exactly valid messages.
import {
  CreateRoomRequest,
  DeleteRoomRequest,
  DeleteRoomResponse,
  ListParticipantsRequest,
  ListParticipantsResponse,
  ListRoomsRequest,
  ListRoomsResponse,
  MuteRoomTrackRequest,
  MuteRoomTrackResponse,
  RemoveParticipantResponse,
  RoomParticipantIdentity,
  SendDataRequest,
  SendDataResponse,
  UpdateParticipantRequest,
  UpdateRoomMetadataRequest,
  UpdateSubscriptionsRequest,
  UpdateSubscriptionsResponse,
} from '@livekit/protocol';
import { LIMITS, authenticate, requireGrant } from './auth.js';
import { HttpError, TwirpError } from './errors.js';
import { toTwirpJson } from './protojson.js';

export const TWIRP_PREFIX = '/twirp/livekit.RoomService/';

/** Method name -> request class and handler(state, decodedRequest) -> response message. */
export const ROOM_SERVICE = Object.freeze({
  CreateRoom: { Req: CreateRoomRequest, run: (st, r) => st.createRoom(r) },
  ListRooms: { Req: ListRoomsRequest, run: (st, r) => new ListRoomsResponse({ rooms: st.listRooms(r.names) }) },
  DeleteRoom: { Req: DeleteRoomRequest, run: (st, r) => (st.deleteRoom(r.room), new DeleteRoomResponse()) },
  ListParticipants: {
    Req: ListParticipantsRequest,
    run: (st, r) => new ListParticipantsResponse({ participants: st.listParticipants(r.room) }),
  },
  GetParticipant: { Req: RoomParticipantIdentity, run: (st, r) => st.getParticipant(r.room, r.identity) },
  RemoveParticipant: {
    Req: RoomParticipantIdentity,
    run: (st, r) => (st.removeParticipant(r.room, r.identity), new RemoveParticipantResponse()),
  },
  UpdateParticipant: { Req: UpdateParticipantRequest, run: (st, r) => st.updateParticipant(r) },
  MutePublishedTrack: {
    Req: MuteRoomTrackRequest,
    run: (st, r) => new MuteRoomTrackResponse({ track: st.mutePublishedTrack(r) }),
  },
  UpdateSubscriptions: {
    Req: UpdateSubscriptionsRequest,
    run: (st, r) => (st.updateSubscriptions(r), new UpdateSubscriptionsResponse()),
  },
  SendData: { Req: SendDataRequest, run: (st, r) => (st.sendData(r), new SendDataResponse()) },
  UpdateRoomMetadata: { Req: UpdateRoomMetadataRequest, run: (st, r) => st.updateRoomMetadata(r.room, r.metadata) },
});

/** Reads the body, answering 413 like the server past max_api_request_body_size. */
export function readBody(req, limit = LIMITS.requestBody) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new HttpError(413, 'request body too large')) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function badRoute(msg, req, path) {
  return new TwirpError('bad_route', msg, { twirp_invalid_route: `${req.method} ${path}` });
}

/**
 * Strict protojson decode. A body that is not JSON is Twirp's `malformed`, worded as the server
 * words it; a JSON body the message cannot hold (unknown field, wrong type: the server ignores
 * unknown fields) is invalid_argument naming the problem, on purpose.
 */
function decodeRequest(Req, raw) {
  let json;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new TwirpError('malformed', 'the json request could not be decoded');
  }
  try {
    return Req.fromJson(json, { ignoreUnknownFields: false });
  } catch (err) {
    throw new TwirpError('invalid_argument', `the json request could not be decoded: ${err.message}`);
  }
}

/**
 * Handles one request under /twirp/. Records the call in `callLog`.
 * @param {object} ctx { state, keys: Map, callLog: object[] }
 */
export async function handleTwirp(ctx, req, res, url) {
  const path = url.pathname;
  const method = path.startsWith(TWIRP_PREFIX) ? path.slice(TWIRP_PREFIX.length) : null;
  const call = {
    seq: ctx.callLog.length + 1,
    at: Date.now(),
    method: method ?? path,
    httpMethod: req.method,
    contentType: req.headers['content-type'] ?? null,
    grants: null,
    rawBody: null,
    request: null,
    status: 0,
    code: null,
    msg: null,
    response: null,
  };
  ctx.callLog.push(call);

  try {
    const auth = await authenticate(req, url, ctx.keys);
    call.grants = auth ? { iss: auth.apiKey, sub: auth.claims.sub ?? null, video: auth.claims.video ?? null } : null;

    if (req.method !== 'POST') throw badRoute(`unsupported method ${JSON.stringify(req.method)} (only POST is allowed)`, req, path);
    const spec = method !== null && Object.hasOwn(ROOM_SERVICE, method) ? ROOM_SERVICE[method] : null;
    if (!spec) throw badRoute(`no handler for path ${JSON.stringify(path)}`, req, path);
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/json') {
      // application/protobuf is a valid Twirp codec, but Convene must speak JSON.
      throw badRoute(`unexpected Content-Type: ${JSON.stringify(req.headers['content-type'] ?? '')}`, req, path);
    }

    const raw = await readBody(req);
    call.rawBody = raw.length <= 65536 ? raw.toString('utf8') : `<${raw.length} bytes>`;
    const decoded = decodeRequest(spec.Req, raw);
    call.request = decoded.toJson();

    requireGrant(auth, method, decoded);
    const response = toTwirpJson(spec.run(ctx.state, decoded));
    call.response = response;
    sendJson(res, 200, response);
    call.status = 200;
  } catch (err) {
    if (err instanceof TwirpError) {
      call.code = err.code;
      call.msg = err.message;
      call.status = err.status;
      sendJson(res, err.status, err.toJSON());
    } else if (err instanceof HttpError) {
      call.msg = err.message;
      call.status = err.status;
      sendText(res, err.status, err.message);
    } else {
      const e = new TwirpError('internal', `emulator bug: ${err?.stack ?? err}`);
      call.code = e.code;
      call.msg = e.message;
      call.status = e.status;
      sendJson(res, e.status, e.toJSON());
    }
  }
}

export function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res, status, text) {
  // LiveKit's HandleError writes the error text as is (no trailing newline).
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

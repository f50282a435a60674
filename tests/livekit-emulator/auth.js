// Token handling as the LiveKit server does it (livekit.md §1.6, §1.7, §2.3).
//
// Two layers, kept separate because their failures look different on the wire:
//   1. the HTTP auth middleware (every route on the port): extracts and verifies the
//      JWT; failures are PLAIN-TEXT 401 bodies;
//   2. the handlers: check the grants for the operation; Twirp handlers answer a
//      missing grant with Twirp JSON 401 `unauthenticated` "permissions denied".
import { TokenVerifier } from 'livekit-server-sdk';
import { ParticipantPermission, ParticipantInfo_Kind, ParticipantInfo_KindDetail, TrackSource } from '@livekit/protocol';
import { HttpError, permissionDenied } from './errors.js';

// The server verifies exp/nbf with 60 s of leeway (go-jose default, kept after the
// switch to golang-jwt).
export const SERVER_LEEWAY_SECONDS = 60;

export const LIMITS = Object.freeze({
  roomName: 256,
  identity: 256,
  name: 256,
  metadata: 512 * 1024,
  attributes: 64 * 1024,
  requestBody: 10 * 1024 * 1024,
});

/**
 * Step 1 of the middleware: where the token comes from.
 * A present Authorization header must start with "Bearer " (exactly one space);
 * otherwise the `access_token` query parameter is used. No token is not an error
 * here: the request goes on without grants and fails in the handler.
 * @returns {string|null}
 */
export function extractToken(req, url) {
  const header = req.headers.authorization;
  if (header) {
    if (!header.startsWith('Bearer ')) {
      throw new HttpError(401, 'invalid authorization header. Must start with Bearer ');
    }
    return header.slice('Bearer '.length) || null;
  }
  return url.searchParams.get('access_token') || null;
}

function decodeSegment(segment) {
  const json = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('not an object');
  return json;
}

/**
 * Steps 2-5 of the middleware: parse unverified to learn the key (`iss`), look up
 * its secret, then verify signature/iss/exp/nbf with TokenVerifier from
 * livekit-server-sdk (which also makes `exp` mandatory, like current servers).
 * @param {string} token
 * @param {Map<string,string>} keys api key -> secret
 * @returns {Promise<{claims: object, identity: string, apiKey: string}>}
 */
export async function verifyToken(token, keys) {
  let header;
  let payload;
  try {
    const parts = token.split('.');
    if (parts.length !== 3) throw new Error('malformed');
    header = decodeSegment(parts[0]);
    payload = decodeSegment(parts[1]);
  } catch {
    throw new HttpError(401, 'invalid authorization token');
  }
  const apiKey = typeof payload.iss === 'string' ? payload.iss : '';
  const secret = keys.get(apiKey);
  if (secret === undefined) throw new HttpError(401, `invalid API key: ${apiKey}`);
  // The server's parser allows HS256 only; jose would also accept HS384/HS512 with a
  // symmetric key, so refuse anything else explicitly.
  if (header.alg !== 'HS256') {
    throw invalidToken(token, `token signature is invalid: signing method ${header.alg} is invalid`);
  }
  let claims;
  try {
    claims = await new TokenVerifier(apiKey, secret).verify(token, SERVER_LEEWAY_SECONDS);
  } catch (err) {
    throw invalidToken(token, jwtLibraryMessage(err));
  }
  // Legacy SDKs put the identity in `jti`; the server falls back to it.
  const identity = (typeof claims.sub === 'string' && claims.sub) || (typeof claims.jti === 'string' && claims.jti) || '';
  return { claims, identity, apiKey };
}

/**
 * The server's answer to a token that parses but does not verify: the token itself, then the
 * message of its JWT library (golang-jwt v5), e.g.
 * `invalid token: <jwt>, error: token has invalid claims: token is expired`.
 */
function invalidToken(token, message) {
  return new HttpError(401, `invalid token: ${token}, error: ${message}`);
}

/** golang-jwt v5's wording for what jose (TokenVerifier) reported. */
function jwtLibraryMessage(err) {
  if (err?.code === 'ERR_JWT_EXPIRED') return 'token has invalid claims: token is expired';
  if (err?.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && err.claim === 'nbf') {
    return 'token has invalid claims: token is not valid yet';
  }
  if (err?.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && err.claim === 'exp') {
    return 'token has invalid claims: token is missing required claim: exp claim is required';
  }
  if (err?.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'token signature is invalid: signature is invalid';
  return `token is malformed: ${err?.message ?? err}`;
}

/** Authenticates a request the way the middleware does; null when there is no token. */
export async function authenticate(req, url, keys) {
  const token = extractToken(req, url);
  if (!token) return null;
  return verifyToken(token, keys);
}

const ADMIN = (video, req) => video.roomAdmin === true && typeof req.room === 'string' && video.room === req.room;

// Grant required per RoomService method (livekit.md §2.3). `req` is the decoded request.
export const METHOD_GRANTS = Object.freeze({
  CreateRoom: (video) => video.roomCreate === true,
  DeleteRoom: (video) => video.roomCreate === true,
  ListRooms: (video) => video.roomList === true,
  ListParticipants: ADMIN,
  GetParticipant: ADMIN,
  RemoveParticipant: ADMIN,
  MutePublishedTrack: ADMIN,
  UpdateParticipant: ADMIN,
  UpdateSubscriptions: ADMIN,
  SendData: ADMIN,
  UpdateRoomMetadata: ADMIN,
});

/** Throws Twirp 401 "permissions denied" unless `auth` carries the grant for `method`. */
export function requireGrant(auth, method, req) {
  const video = auth?.claims?.video;
  const check = METHOD_GRANTS[method];
  if (!video || typeof video !== 'object' || !check || !check(video, req)) throw permissionDenied();
}

/**
 * The extra checks of a signalling join (/rtc) after the middleware (livekit.md §1.7).
 * Room existence and capacity are checked later by the state, which knows the rooms.
 * @returns {{roomName: string, identity: string}}
 */
export function checkJoinClaims(auth) {
  const video = auth?.claims?.video;
  // No grants at all and a grant without roomJoin are told apart by the server's wording.
  if (!auth || !video) throw new HttpError(401, 'no permissions to access the room');
  if (video.roomJoin !== true) throw new HttpError(401, 'permissions denied');
  const identity = auth.identity;
  if (!identity) throw new HttpError(400, 'identity cannot be empty');
  const roomName = typeof video.room === 'string' ? video.room : '';
  if (!roomName) throw new HttpError(400, 'no room name');
  if (Buffer.byteLength(roomName) > LIMITS.roomName) throw new HttpError(400, `room name length exceeds limits ${LIMITS.roomName}`);
  if (Buffer.byteLength(identity) > LIMITS.identity) {
    throw new HttpError(400, `participant identity length exceeds limits ${LIMITS.identity}`);
  }
  const name = typeof auth.claims.name === 'string' ? auth.claims.name : '';
  if (Buffer.byteLength(name) > LIMITS.name) throw new HttpError(400, `name length exceeds limits ${LIMITS.name}`);
  return { roomName, identity };
}

// Token grants are tri-state: an absent key has a default, an explicit false does not.
const triState = (value, dflt) => (typeof value === 'boolean' ? value : dflt);

/**
 * VideoGrant -> ParticipantPermission, as the server's `ToPermission` does:
 * canPublish/canSubscribe default true, canPublishData defaults to the effective
 * canPublish, canUpdateOwnMetadata becomes can_update_metadata, source strings
 * become TrackSource enum values.
 */
export function grantToPermission(video = {}) {
  const canPublish = triState(video.canPublish, true);
  const sources = Array.isArray(video.canPublishSources) ? video.canPublishSources : [];
  return new ParticipantPermission({
    canSubscribe: triState(video.canSubscribe, true),
    canPublish,
    canPublishData: triState(video.canPublishData, canPublish),
    canPublishSources: sources
      .map((s) => TrackSource[String(s).toUpperCase()])
      .filter((v) => typeof v === 'number'),
    hidden: video.hidden === true,
    recorder: video.recorder === true,
    canUpdateMetadata: triState(video.canUpdateOwnMetadata, false),
    agent: video.agent === true,
    canSubscribeMetrics: triState(video.canSubscribeMetrics, false),
    canManageAgentSession: triState(video.canManageAgentSession, false),
  });
}

/** Token `kind` (lower-case name) -> ParticipantInfo.Kind; unknown/empty -> STANDARD. */
export function kindFromClaims(claims) {
  const value = typeof claims.kind === 'string' ? ParticipantInfo_Kind[claims.kind.toUpperCase()] : undefined;
  return typeof value === 'number' ? value : ParticipantInfo_Kind.STANDARD;
}

export function kindDetailsFromClaims(claims) {
  if (!Array.isArray(claims.kindDetails)) return [];
  return claims.kindDetails
    .map((d) => ParticipantInfo_KindDetail[String(d).toUpperCase()])
    .filter((v) => typeof v === 'number');
}

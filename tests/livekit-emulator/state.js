// In-memory model of a single-node LiveKit server: rooms, participants, data packets
// and room life-cycle timers. It knows nothing about HTTP; it throws TwirpError /
// HttpError and reports life-cycle events through `emit(event, roomName, payload)`.
import { randomBytes, randomInt } from 'node:crypto';
import {
  Codec,
  DataPacket_Kind,
  DisconnectReason,
  ParticipantInfo,
  ParticipantInfo_Kind,
  ParticipantInfo_State,
  Room,
} from '@livekit/protocol';
import {
  HttpError,
  TwirpError,
  limitExceeded,
  participantNotFound,
  roomNotFound,
} from './errors.js';
import {
  LIMITS,
  checkJoinClaims,
  grantToPermission,
  kindDetailsFromClaims,
  kindFromClaims,
} from './auth.js';

// short-uuid's base57 alphabet, which LiveKit uses for RM_/PA_/EV_ ids.
const ID_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
export function newId(prefix) {
  let s = prefix;
  for (let i = 0; i < 12; i++) s += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return s;
}

// `room.enabled_codecs` default of the server (livekit.md §3.1).
const DEFAULT_CODECS = [
  'audio/PCMU', 'audio/PCMA', 'audio/opus', 'audio/red',
  'video/VP8', 'video/H264', 'video/VP9', 'video/AV1', 'video/H265', 'video/rtx',
];

// A nonce seen recently in a room makes a SendData packet a silent duplicate.
const NONCE_MEMORY = 1024;

const bytesOf = (s) => Buffer.byteLength(s, 'utf8');

function attributesSize(attrs) {
  let size = 0;
  for (const [k, v] of Object.entries(attrs)) size += bytesOf(k) + bytesOf(v);
  return size;
}

// Egress and agent participants are "dependent": they do not keep a room open and do
// not count towards num_participants / max_participants.
const isDependentKind = (kind) => kind === ParticipantInfo_Kind.EGRESS || kind === ParticipantInfo_Kind.AGENT;

export class EmulatorState {
  /**
   * @param {object} opts
   * @param {object} opts.config live config object (read on every use):
   *   { emptyTimeout, departureTimeout, autoCreate, timeScale, enableRemoteUnmute }
   * @param {(event: string, roomName: string, payload: {room: Room, participant?: ParticipantInfo}) => void} opts.emit
   */
  constructor({ config, emit }) {
    this.config = config;
    this.emit = emit;
    /** @type {Map<string, object>} room name -> internal room record */
    this.rooms = new Map();
  }

  // ---------------------------------------------------------------- rooms

  /**
   * CreateRoom: idempotent. An existing room is returned as it is: livekit-server 1.13.5 applies
   * none of the request's options (timeouts, max participants, metadata) to a room that exists.
   */
  createRoom(req) {
    if (!req.name) throw new TwirpError('invalid_argument', 'name is required', { argument: 'name' });
    if (bytesOf(req.name) > LIMITS.roomName) throw limitExceeded('room name length exceeds limits', LIMITS.roomName);
    if (bytesOf(req.metadata) > LIMITS.metadata) throw limitExceeded('metadata size exceeds limits', LIMITS.metadata);
    // No room_configurations and no egress service exist in this emulated deployment.
    if (req.roomPreset) throw new TwirpError('invalid_argument', `room preset ${req.roomPreset} not found`, { argument: 'room_preset' });
    if (req.egress) throw new TwirpError('internal', 'egress not connected (redis required)');

    const room = this.rooms.get(req.name) ?? this.#openRoom(req.name, req, 'api');
    return this.roomProto(room);
  }

  listRooms(names) {
    const rooms = names.length ? names.map((n) => this.rooms.get(n)).filter(Boolean) : [...this.rooms.values()];
    return rooms.map((r) => this.roomProto(r));
  }

  deleteRoom(name) {
    const room = this.rooms.get(name);
    if (!room) throw roomNotFound();
    this.#closeRoom(room, DisconnectReason.ROOM_DELETED);
  }

  updateRoomMetadata(name, metadata) {
    const room = this.rooms.get(name);
    if (!room) throw roomNotFound();
    if (bytesOf(metadata) > LIMITS.metadata) throw limitExceeded('metadata size exceeds limits', LIMITS.metadata);
    // The OSS server stores whatever is sent, including "".
    room.metadata = metadata;
    return this.roomProto(room);
  }

  // ---------------------------------------------------------------- participants

  listParticipants(roomName) {
    // OSS reads the room store: an unknown room is an empty list, not an error.
    const room = this.rooms.get(roomName);
    return room ? [...room.participants.values()].map((p) => this.participantProto(p)) : [];
  }

  getParticipant(roomName, identity) {
    return this.participantProto(this.#participant(roomName, identity));
  }

  removeParticipant(roomName, identity) {
    const p = this.#participant(roomName, identity);
    this.#leave(this.rooms.get(roomName), p, DisconnectReason.PARTICIPANT_REMOVED);
  }

  /** UpdateParticipant: validate everything first, then apply (all or nothing). */
  updateParticipant(req) {
    const p = this.#participant(req.room, req.identity);
    if (bytesOf(req.metadata) > LIMITS.metadata) throw limitExceeded('metadata size exceeds limits', LIMITS.metadata);
    if (bytesOf(req.name) > LIMITS.name) throw limitExceeded('name length exceeds limits', LIMITS.name);
    const attributes = { ...p.attributes };
    for (const [k, v] of Object.entries(req.attributes)) {
      if (v === '') delete attributes[k];
      else attributes[k] = v;
    }
    if (attributesSize(attributes) > LIMITS.attributes) throw limitExceeded('attributes size exceeds limits', LIMITS.attributes);

    let changed = false;
    // Empty metadata / name mean "leave unchanged" (they cannot be cleared this way).
    if (req.metadata && req.metadata !== p.metadata) { p.metadata = req.metadata; changed = true; }
    if (req.name && req.name !== p.name) { p.name = req.name; changed = true; }
    if (JSON.stringify(attributes) !== JSON.stringify(p.attributes)) { p.attributes = attributes; changed = true; }
    // A present permission replaces the whole set: unsent flags become false.
    if (req.permission) { p.permission = req.permission.clone(); changed = true; }
    if (changed) p.version++;
    return this.participantProto(p);
  }

  /**
   * MutePublishedTrack: no media exists here, so no track ever matches.
   * OSS does no pre-check: a missing participant fails inside the internal RPC (5xx).
   */
  mutePublishedTrack(req) {
    this.#participantOrUnavailable(req.room, req.identity);
    if (!req.muted && !this.config.enableRemoteUnmute) {
      throw new TwirpError('failed_precondition', 'remote unmute not enabled');
    }
    return undefined; // MuteRoomTrackResponse.track = null
  }

  updateSubscriptions(req) {
    this.#participantOrUnavailable(req.room, req.identity);
  }

  /**
   * SendData: record the packet and who would receive it.
   * Both destination lists empty = everyone; otherwise sid in destination_sids OR
   * identity in destination_identities (livekit.md §4).
   */
  sendData(req) {
    if (req.nonce.length !== 0 && req.nonce.length !== 16) {
      throw new TwirpError('invalid_argument', `nonce should be 16-bytes or not present, got: ${req.nonce.length} bytes`);
    }
    const room = this.rooms.get(req.room);
    // The API call is an internal RPC to the room's node; with no room there is no
    // handler and the OSS server answers 5xx, not 404.
    if (!room) throw new TwirpError('unavailable', 'twirp error unknown: no response from servers');

    const broadcast = req.destinationSids.length === 0 && req.destinationIdentities.length === 0;
    const recipients = [...room.participants.values()]
      .filter((p) => broadcast || req.destinationSids.includes(p.sid) || req.destinationIdentities.includes(p.identity))
      .map((p) => p.identity);
    const nonce = req.nonce.length ? Buffer.from(req.nonce).toString('base64') : null;
    const record = {
      at: Date.now(),
      room: room.name,
      kind: DataPacket_Kind[req.kind] ?? String(req.kind),
      topic: req.topic ?? null,
      data: Buffer.from(req.data).toString('utf8'),
      dataBase64: Buffer.from(req.data).toString('base64'),
      destinationIdentities: [...req.destinationIdentities],
      destinationSids: [...req.destinationSids],
      nonce,
      recipients,
    };
    if (nonce && room.recentNonces.has(nonce)) {
      room.droppedDataPackets.push({ ...record, reason: 'duplicate nonce' });
      return;
    }
    if (nonce) {
      room.recentNonces.add(nonce);
      if (room.recentNonces.size > NONCE_MEMORY) room.recentNonces.delete(room.recentNonces.values().next().value);
    }
    room.dataPackets.push(record);
  }

  // ---------------------------------------------------------------- joins (test API)

  /**
   * Emulates a participant that connects to /rtc and becomes ACTIVE.
   * @param {{claims: object, identity: string}} auth result of verifyToken()
   * @param {{metadata?: string, attributes?: Record<string,string>, dryRun?: boolean}} opts
   *   join-time metadata/attributes (need canUpdateOwnMetadata); dryRun = /rtc/validate
   */
  join(auth, { metadata, attributes, dryRun = false } = {}) {
    const { roomName, identity } = checkJoinClaims(auth);
    const { claims } = auth;
    const video = claims.video;
    const permission = grantToPermission(video);
    const joinAttributes = Object.fromEntries(Object.entries(attributes ?? {}).filter(([, v]) => v !== ''));
    if ((metadata || Object.keys(joinAttributes).length) && !permission.canUpdateMetadata) {
      throw new HttpError(401, 'no permissions to access the room');
    }
    const finalMetadata = metadata || (typeof claims.metadata === 'string' ? claims.metadata : '');
    if (bytesOf(finalMetadata) > LIMITS.metadata) throw new HttpError(400, `metadata size exceeds limits ${LIMITS.metadata}`);
    const finalAttributes = { ...(claims.attributes && typeof claims.attributes === 'object' ? claims.attributes : {}), ...joinAttributes };
    if (attributesSize(finalAttributes) > LIMITS.attributes) throw new HttpError(400, `attributes size exceeds limits ${LIMITS.attributes}`);

    let room = this.rooms.get(roomName);
    if (!room && !this.config.autoCreate && video.roomCreate !== true) {
      throw new HttpError(404, 'requested room does not exist');
    }
    const kind = kindFromClaims(claims);
    const dependent = isDependentKind(kind);
    if (room && room.maxParticipants > 0 && !dependent) {
      // A duplicate identity replaces its old session, so it does not count.
      const others = [...room.participants.values()].filter((p) => !p.dependent && p.identity !== identity);
      if (others.length >= room.maxParticipants) throw new HttpError(500, 'room has exceeded its max participants');
    }
    if (dryRun) return null;

    // A token's roomConfig applies when this join creates the room.
    if (!room) room = this.#openRoom(roomName, roomConfigFromClaims(claims), 'join');
    const old = room.participants.get(identity);
    if (old) this.#leave(room, old, DisconnectReason.DUPLICATE_IDENTITY);

    const now = Date.now();
    const p = {
      sid: newId('PA_'),
      identity,
      name: typeof claims.name === 'string' ? claims.name : '',
      metadata: finalMetadata,
      attributes: finalAttributes,
      permission,
      kind,
      kindDetails: kindDetailsFromClaims(claims),
      dependent,
      joinedAtMs: now,
      // The emulated client goes straight to ACTIVE (media "connected").
      state: ParticipantInfo_State.ACTIVE,
      disconnectReason: DisconnectReason.UNKNOWN_REASON,
      // The server counts the JOINED and the ACTIVE transitions: a participant announced as
      // joined is at version 2.
      version: 2,
    };
    room.participants.set(identity, p);
    if (!dependent) room.everJoined = true;
    this.#reschedule(room);
    this.emit('participant_joined', room.name, { room: this.webhookRoom(room), participant: this.participantProto(p) });
    return this.participantProto(p);
  }

  /** A participant disconnects by itself (CLIENT_INITIATED). */
  leave(roomName, identity, reason = DisconnectReason.CLIENT_INITIATED) {
    const p = this.#participant(roomName, identity);
    this.#leave(this.rooms.get(roomName), p, reason);
  }

  // ---------------------------------------------------------------- life cycle

  /** Re-arms every room's close timer (after a config change of timeouts or time scale). */
  rescheduleAll() {
    for (const room of this.rooms.values()) this.#reschedule(room);
  }

  /** Overrides the timeouts of one existing room (test API). */
  setRoomTimeouts(name, { emptyTimeout, departureTimeout }) {
    const room = this.rooms.get(name);
    if (!room) throw roomNotFound();
    if (emptyTimeout !== undefined) room.emptyTimeout = emptyTimeout;
    if (departureTimeout !== undefined) room.departureTimeout = departureTimeout;
    this.#reschedule(room);
    return this.roomProto(room);
  }

  /** Drops every room without emitting anything (test reset). */
  clear() {
    for (const room of this.rooms.values()) {
      room.closed = true;
      clearTimeout(room.timer);
    }
    this.rooms.clear();
  }

  #openRoom(name, opts, createdBy) {
    const now = Date.now();
    const room = {
      sid: newId('RM_'),
      name,
      // 0 means "use the server default", resolved at creation like the real server.
      emptyTimeout: opts.emptyTimeout || this.config.emptyTimeout,
      departureTimeout: opts.departureTimeout || this.config.departureTimeout,
      maxParticipants: opts.maxParticipants || 0,
      metadata: opts.metadata || '',
      creationTimeMs: now,
      turnPassword: randomBytes(24).toString('base64url'),
      createdBy,
      participants: new Map(),
      everJoined: false,
      lastLeftAtMs: 0,
      dataPackets: [],
      droppedDataPackets: [],
      recentNonces: new Set(),
      timer: null,
      closeAt: null,
      closed: false,
    };
    this.rooms.set(name, room);
    this.emit('room_started', name, { room: this.webhookRoom(room) });
    this.#reschedule(room);
    return room;
  }

  #leave(room, p, reason) {
    room.participants.delete(p.identity);
    p.state = ParticipantInfo_State.DISCONNECTED;
    p.disconnectReason = reason;
    p.version++;
    if (!p.dependent) room.lastLeftAtMs = Date.now();
    this.emit('participant_left', room.name, { room: this.webhookRoom(room), participant: this.participantProto(p) });
    this.#reschedule(room);
  }

  #closeRoom(room, reason) {
    room.closed = true;
    clearTimeout(room.timer);
    room.timer = null;
    room.closeAt = null;
    for (const p of [...room.participants.values()]) this.#leave(room, p, reason);
    this.rooms.delete(room.name);
    this.emit('room_finished', room.name, { room: this.webhookRoom(room) });
  }

  /**
   * Close rule of the server's CloseIfEmpty: a room with no non-dependent participant
   * closes `departureTimeout` s after the last one left, or `emptyTimeout` s after
   * creation if nobody ever joined. Seconds are scaled by config.timeScale.
   */
  #reschedule(room) {
    clearTimeout(room.timer);
    room.timer = null;
    room.closeAt = null;
    if (room.closed) return;
    if ([...room.participants.values()].some((p) => !p.dependent)) return;
    const afterDeparture = room.everJoined && room.lastLeftAtMs > 0;
    const since = afterDeparture ? room.lastLeftAtMs : room.creationTimeMs;
    const timeout = afterDeparture ? room.departureTimeout : room.emptyTimeout;
    room.closeAt = since + timeout * 1000 * this.config.timeScale;
    const timer = setTimeout(() => {
      if (!room.closed) this.#closeRoom(room, DisconnectReason.ROOM_CLOSED);
    }, Math.max(0, room.closeAt - Date.now()));
    // Never keep an in-process test runner alive just for a room timer.
    timer.unref?.();
    room.timer = timer;
  }

  #participant(roomName, identity) {
    const p = this.rooms.get(roomName)?.participants.get(identity);
    if (!p) throw participantNotFound();
    return p;
  }

  #participantOrUnavailable(roomName, identity) {
    const p = this.rooms.get(roomName)?.participants.get(identity);
    if (!p) throw new TwirpError('unavailable', 'twirp error unknown: no response from servers');
    return p;
  }

  // ---------------------------------------------------------------- protobuf views

  /**
   * The room as webhooks carry it. The server's copy of its counts is refreshed by a periodic
   * worker, so a webhook's room shows none of the participants (no numParticipants and
   * numPublishers: 0, omitted) — what it sent when a room's participants joined and left.
   */
  webhookRoom(room) {
    const proto = this.roomProto(room);
    proto.numParticipants = 0;
    proto.numPublishers = 0;
    return proto;
  }

  roomProto(room) {
    const counted = [...room.participants.values()].filter((p) => !p.dependent);
    return new Room({
      sid: room.sid,
      name: room.name,
      emptyTimeout: room.emptyTimeout,
      departureTimeout: room.departureTimeout,
      maxParticipants: room.maxParticipants,
      creationTime: BigInt(Math.floor(room.creationTimeMs / 1000)),
      creationTimeMs: BigInt(room.creationTimeMs),
      turnPassword: room.turnPassword,
      enabledCodecs: DEFAULT_CODECS.map((mime) => new Codec({ mime })),
      metadata: room.metadata,
      numParticipants: counted.length,
      numPublishers: 0, // no media: nobody publishes
      activeRecording: [...room.participants.values()].some((p) => p.permission.recorder),
    });
  }

  participantProto(p) {
    return new ParticipantInfo({
      sid: p.sid,
      identity: p.identity,
      state: p.state,
      tracks: [],
      metadata: p.metadata,
      joinedAt: BigInt(Math.floor(p.joinedAtMs / 1000)),
      joinedAtMs: BigInt(p.joinedAtMs),
      name: p.name,
      version: p.version,
      permission: p.permission.clone(),
      isPublisher: false,
      kind: p.kind,
      attributes: { ...p.attributes },
      disconnectReason: p.disconnectReason,
      kindDetails: [...p.kindDetails],
    });
  }

  /** Plain description of one room for the test API. */
  describeRoom(room, toJson) {
    return {
      room: toJson(this.roomProto(room)),
      participants: [...room.participants.values()].map((p) => toJson(this.participantProto(p))),
      createdBy: room.createdBy,
      closeAt: room.closeAt,
      dataPackets: room.dataPackets,
      droppedDataPackets: room.droppedDataPackets,
    };
  }
}

/** The subset of a token's `roomConfig` claim (camelCase JSON) that shapes a room. */
function roomConfigFromClaims(claims) {
  const c = claims.roomConfig && typeof claims.roomConfig === 'object' ? claims.roomConfig : {};
  const u32 = (v) => (Number.isInteger(Number(v)) && Number(v) > 0 ? Number(v) : 0);
  return {
    emptyTimeout: u32(c.emptyTimeout ?? c.empty_timeout),
    departureTimeout: u32(c.departureTimeout ?? c.departure_timeout),
    maxParticipants: u32(c.maxParticipants ?? c.max_participants),
    metadata: typeof c.metadata === 'string' ? c.metadata : '',
  };
}


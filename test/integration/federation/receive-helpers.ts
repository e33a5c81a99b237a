import { systemRandom } from '../../../server/core/clock.js';
import { generateSigningKey, signingKeyFromSeed } from '../../../server/core/signing.js';
import { authEventsNeeded, type AuthEvent } from '../../../server/events/auth/check.js';
import { buildEvent, type EventOrigin } from '../../../server/events/build.js';
import type { Pdu } from '../../../server/events/event-format.js';
import { persistRemoteJoin, type StoredEvent } from '../../../server/events/persist-join.js';
import { roomVersion } from '../../../server/events/room-versions.js';
import { loadStateGroup } from '../../../server/events/state-groups.js';
import { stateKeyId } from '../../../server/events/state-map.js';
import * as store from '../../../server/events/store.js';
import type { FederatedTestServer } from '../../helpers/federation-loopback.js';
import { enc, FED, joinFrom, V3 } from './reads-helpers.js';

/**
 * Shared set-up of the receive*.test.ts files: A (the receiving Hearth) holds rooms made
 * through its client API; B's user joins them and B gets the room as a join through A
 * would leave it (the state and its auth chain as outliers, then the join), so that B can
 * send in the room through its own client API and serve its events to A.
 */

export type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * `userId` of `remote` joins `roomId` of `home`: the join is persisted on `home` as a
 * remote join (reads-helpers' joinFrom), and on `remote` as send_join's answer would be
 * stored (events/persist-join.ts). Returns the join's event id.
 */
export async function joinBothSides(
  home: FederatedTestServer,
  remote: FederatedTestServer,
  roomId: string,
  userId: string,
): Promise<string> {
  const joinId = await joinFrom(home, remote, roomId, userId);
  const room = (await store.getRoom(home.ctx.db, roomId))!;
  const version = roomVersion(room.room_version)!;
  const join = pduOf(await store.getEventJson(home.ctx.db, joinId));
  const prev = (await store.getEventRow(home.ctx.db, referenced(join.prev_events)[0]!))!;
  const stateBefore = await loadStateGroup(home.ctx, prev.state_group!);
  const ids = new Set<string>(stateBefore.values());
  for (const id of [...ids]) for (const a of await store.getAuthChain(home.ctx.db, id)) ids.add(a);
  const jsons = await store.getEventJsonMany(home.ctx.db, [...ids]);
  const outliers: StoredEvent[] = [...jsons].map(([eventId, json]) => ({
    eventId,
    pdu: pduOf(json),
  }));
  await persistRemoteJoin(remote.ctx, {
    version,
    roomId,
    creator: room.creator,
    outliers,
    stateBefore,
    join: { eventId: joinId, pdu: join },
  });
  return joinId;
}

function pduOf(json: string | undefined): Pdu {
  return JSON.parse(json!) as Pdu;
}

function referenced(refs: Pdu['prev_events']): string[] {
  return refs.map((r) => (typeof r === 'string' ? r : r[0]));
}

/** The stored PDU of an event, as its server sends it. */
export async function storedPdu(s: FederatedTestServer, eventId: string): Promise<Pdu> {
  return pduOf(await store.getEventJson(s.ctx.db, eventId));
}

/** PUT /send/{txnId} from `from` to `to`, signed by `from`; status and parsed body. */
export async function sendTxn(
  from: FederatedTestServer,
  to: FederatedTestServer,
  txnId: string,
  body: { pdus?: unknown[]; edus?: unknown[]; origin?: string },
): Promise<{ status: number; body: Loose }> {
  const res = await from.federation.request(to.serverName, {
    method: 'PUT',
    path: `${FED}/send/${enc(txnId)}`,
    body: {
      origin: body.origin ?? from.serverName,
      origin_server_ts: Date.now(),
      pdus: body.pdus ?? [],
      ...(body.edus ? { edus: body.edus } : {}),
    },
  });
  return { status: res.status, body: res.body as Loose };
}

/** A /sync of `token` on `s` that does not wait; `since` for an incremental one. */
export async function syncOnce(
  s: FederatedTestServer,
  token: string,
  since?: string,
): Promise<Loose> {
  const q = since ? `?timeout=0&since=${enc(since)}` : '?timeout=0';
  const r = await s.req('GET', `${V3}/sync${q}`, { token });
  if (r.statusCode !== 200) throw new Error(`sync failed: ${r.body}`);
  return r.json();
}

/** The timeline event ids of a room in a /sync answer. */
export function timelineIds(sync: Loose, roomId: string): string[] {
  const events = sync.rooms?.join?.[roomId]?.timeline?.events ?? [];
  return events.map((e: { event_id: string }) => e.event_id);
}

/** The event ids a client reads from /messages (newest first). */
export async function messageIds(
  s: FederatedTestServer,
  token: string,
  roomId: string,
): Promise<string[]> {
  const r = await s.req('GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=100`, { token });
  return r.json().chunk.map((e: { event_id: string }) => e.event_id);
}

/** Who makes events in the name of `s` (its server name, its own signing key). */
export function originOf(s: FederatedTestServer): EventOrigin {
  return {
    serverName: s.serverName,
    key: s.ctx.config.signingKeys[0]!,
    now: () => Date.now(),
    random: systemRandom,
  };
}

/** A signing key `s` never published: signatures made with it cannot verify. */
export function strangerOrigin(s: FederatedTestServer): EventOrigin {
  const k = generateSigningKey(systemRandom);
  const version = s.ctx.config.signingKeys[0]!.keyId.slice('ed25519:'.length);
  return { ...originOf(s), key: signingKeyFromSeed(version, k.seed) };
}

/**
 * An event of `origin` in `roomId` on `home`'s current forward extremities (or `prevIds`),
 * with the auth events the current state names for it (a sender not in the room gets none
 * for itself).
 */
export async function eventOn(
  home: FederatedTestServer,
  origin: EventOrigin,
  roomId: string,
  e: {
    type: string;
    sender: string;
    content: Record<string, unknown>;
    stateKey?: string;
    /** Default: the forward extremities. */
    prevIds?: string[];
    /** Events not stored on `home` that prevIds may name. */
    unstored?: { eventId: string; pdu: Pdu }[];
  },
): Promise<{ eventId: string; pdu: Pdu }> {
  const version = roomVersion((await store.getRoom(home.ctx.db, roomId))!.room_version)!;
  const state = new Map(
    (await store.getCurrentState(home.ctx.db, roomId)).map((r) => [
      stateKeyId(r.type, r.state_key),
      r.event_id,
    ]),
  );
  const draft = {
    type: e.type,
    sender: e.sender,
    content: e.content,
    room_id: roomId,
    ...(e.stateKey !== undefined ? { state_key: e.stateKey } : {}),
  } as AuthEvent;
  const ref = async (eventId: string) => {
    const pdu =
      e.unstored?.find((u) => u.eventId === eventId)?.pdu ?? (await storedPdu(home, eventId));
    return { eventId, sha256: pdu.hashes.sha256, depth: pdu.depth };
  };
  const authIds = authEventsNeeded(draft, version)
    .map(([t, k]) => state.get(stateKeyId(t, k)))
    .filter((id): id is string => id !== undefined);
  const prevs = await Promise.all(
    (e.prevIds ?? (await store.getForwardExtremities(home.ctx.db, roomId))).map(ref),
  );
  const built = buildEvent(origin, version, {
    type: e.type,
    stateKey: e.stateKey,
    sender: e.sender,
    content: e.content,
    roomId,
    prevEvents: prevs,
    authEvents: await Promise.all(authIds.map(ref)),
    depth: Math.max(...prevs.map((p) => p.depth)) + 1,
  });
  return { eventId: built.eventId, pdu: built.pdu };
}

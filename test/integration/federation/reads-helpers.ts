import { systemRandom } from '../../../server/core/clock.js';
import { authEventsNeeded, type AuthEvent } from '../../../server/events/auth/check.js';
import { buildEvent } from '../../../server/events/build.js';
import type { Pdu } from '../../../server/events/event-format.js';
import { persistRemoteEvent } from '../../../server/events/persist-remote.js';
import { roomVersion } from '../../../server/events/room-versions.js';
import { stateKeyId } from '../../../server/events/state-map.js';
import * as store from '../../../server/events/store.js';
import {
  startFederatedServer,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';

/** Shared set-up of the reads*.test.ts files: two real Hearths and their users. */

export const V3 = '/_matrix/client/v3';
export const FED = '/_matrix/federation/v1';
export const enc = encodeURIComponent;
export type User = { userId: string; token: string; deviceId: string };

/** Config for servers that create many rooms quickly. */
export const ROOMY = { rc_room_creation: { per_second: 1000, burst_count: 1000 } };

/** Bob, the user of hs-b.test in A's room of startRoomWithBob. */
export const BOB = '@bob:hs-b.test';

/** What startRoomWithBob sets up; close() stops the three servers. */
export interface RoomWithBob {
  a: FederatedTestServer;
  b: FederatedTestServer;
  c: FederatedTestServer;
  alice: User;
  room: string;
  bobJoin: string;
  /** m0 .. m9, alice's messages after bob's join. */
  messages: string[];
  close(): Promise<void>;
}

/**
 * Three Hearths on loopback: hs-a.test, where alice makes a public room of version 10
 * (`createBody` adds to its createRoom body); hs-b.test, whose bob joins it (joinFrom);
 * hs-c.test, with no member. Then alice sends m0 .. m9.
 */
export async function startRoomWithBob(
  ports: Map<string, number>,
  createBody: Record<string, unknown> = {},
): Promise<RoomWithBob> {
  const a = await startFederatedServer('hs-a.test', ports, { config: ROOMY });
  const b = await startFederatedServer('hs-b.test', ports);
  const c = await startFederatedServer('hs-c.test', ports);
  const alice = await a.register('alice');
  const body = { preset: 'public_chat', room_version: '10', ...createBody };
  const room = await createRoom(a, alice, body);
  const bobJoin = await joinFrom(a, b, room, BOB);
  const messages: string[] = [];
  for (let i = 0; i < 10; i++) messages.push(await send(a, alice, room, `m${i}`));
  const close = async () => {
    await Promise.all([a, b, c].map((s) => s.close()));
  };
  return { a, b, c, alice, room, bobJoin, messages, close };
}

/** The initial_state (createRoom) of a room whose history_visibility is `visibility`. */
export function historyVisibility(visibility: string): Record<string, unknown>[] {
  return [
    {
      type: 'm.room.history_visibility',
      state_key: '',
      content: { history_visibility: visibility },
    },
  ];
}

/** The initial_state (createRoom) of a room restricted to the members of `allowed`. */
export function restrictedTo(...allowed: string[]): Record<string, unknown>[] {
  const allow = allowed.map((roomId) => ({ type: 'm.room_membership', room_id: roomId }));
  return [
    { type: 'm.room.join_rules', state_key: '', content: { join_rule: 'restricted', allow } },
  ];
}

/** A room made by `user` on `s` through the client API. */
export async function createRoom(
  s: FederatedTestServer,
  user: User,
  body: Record<string, unknown>,
): Promise<string> {
  const r = await s.req('POST', `${V3}/createRoom`, { token: user.token, body });
  if (r.statusCode !== 200) throw new Error(`createRoom failed: ${r.body}`);
  return r.json().room_id as string;
}

/** Sends a message through the client API; returns its event id. */
export async function send(
  s: FederatedTestServer,
  user: User,
  roomId: string,
  body: string,
): Promise<string> {
  const r = await s.req(
    'PUT',
    `${V3}/rooms/${enc(roomId)}/send/m.room.message/${enc(body)}-${Math.random()}`,
    { token: user.token, body: { msgtype: 'm.text', body } },
  );
  if (r.statusCode !== 200) throw new Error(`send failed: ${r.body}`);
  return r.json().event_id as string;
}

/** Sets a state event through the client API; returns its event id. */
export async function setState(
  s: FederatedTestServer,
  user: User,
  roomId: string,
  type: string,
  content: Record<string, unknown>,
  stateKey = '',
): Promise<string> {
  const r = await s.req('PUT', `${V3}/rooms/${enc(roomId)}/state/${type}/${enc(stateKey)}`, {
    token: user.token,
    body: content,
  });
  if (r.statusCode !== 200) throw new Error(`state failed: ${r.body}`);
  return r.json().event_id as string;
}

/**
 * `userId` (a user of `remote`) joins a room of `home`: the join event is built and signed
 * by `remote` with its own key, on `home`'s forward extremities, and persisted by `home`
 * through the path events of other servers take (persist-remote.ts), as send_join ends.
 */
export async function joinFrom(
  home: FederatedTestServer,
  remote: FederatedTestServer,
  roomId: string,
  userId: string,
): Promise<string> {
  const room = (await store.getRoom(home.ctx.db, roomId))!;
  const version = roomVersion(room.room_version)!;
  const state = new Map(
    (await store.getCurrentState(home.ctx.db, roomId)).map((r) => [
      stateKeyId(r.type, r.state_key),
      r.event_id,
    ]),
  );
  const ref = async (eventId: string) => {
    const pdu = JSON.parse((await store.getEventJson(home.ctx.db, eventId))!) as Pdu;
    return { eventId, sha256: pdu.hashes.sha256, depth: pdu.depth };
  };
  const draft = {
    type: 'm.room.member',
    state_key: userId,
    sender: userId,
    content: { membership: 'join' },
    room_id: roomId,
  } as AuthEvent;
  const authIds = authEventsNeeded(draft, version)
    .map(([t, k]) => state.get(stateKeyId(t, k)))
    .filter((id): id is string => id !== undefined);
  const prevs = await Promise.all(
    (await store.getForwardExtremities(home.ctx.db, roomId)).map(ref),
  );
  const built = buildEvent(
    {
      serverName: remote.serverName,
      key: remote.ctx.config.signingKeys[0]!,
      now: () => Date.now(),
      random: systemRandom,
    },
    version,
    {
      type: 'm.room.member',
      stateKey: userId,
      sender: userId,
      content: { membership: 'join', displayname: 'remote user' },
      roomId,
      prevEvents: prevs,
      authEvents: await Promise.all(authIds.map(ref)),
      depth: Math.max(...prevs.map((p) => p.depth)) + 1,
    },
  );
  const outcome = await persistRemoteEvent(home.ctx, {
    version,
    roomId,
    eventId: built.eventId,
    pdu: built.pdu,
  });
  if (outcome.outcome !== 'accepted') throw new Error(`join not accepted: ${outcome.outcome}`);
  return built.eventId;
}

/** A signed GET (or POST) from `from` to `to`; status and parsed body. */
export async function fedReq(
  from: FederatedTestServer,
  to: FederatedTestServer | string,
  path: string,
  opts: { method?: 'GET' | 'POST'; body?: unknown } = {},
) {
  const res = await from.federation.request(typeof to === 'string' ? to : to.serverName, {
    method: opts.method ?? 'GET',
    path,
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return res as { status: number; body: any };
}

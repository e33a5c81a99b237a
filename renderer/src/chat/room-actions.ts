import {
  ConditionKind,
  EventType,
  PushRuleKind,
  Preset,
  Visibility,
  type ICreateRoomOpts,
  type MatrixClient,
} from 'matrix-js-sdk';
import { addDirectRoom, removeDirectRoom } from './direct';
import { rulesFor, type NotifyLevel } from './notify-level';
import { getDirect, inviterOf, isDirectInvite } from './room-data';

const MEGOLM = { algorithm: 'm.megolm.v1.aes-sha2' };

export interface NewRoom {
  name: string;
  topic: string;
  isPublic: boolean;
  /** Local part of a public room's address (#alias:server), optional. */
  alias: string;
  encrypted: boolean;
}

/** Creates a room; public rooms are listed in the directory and joinable by anyone. */
export async function createRoom(client: MatrixClient, r: NewRoom): Promise<string> {
  const opts: ICreateRoomOpts = {
    name: r.name.trim(),
    preset: r.isPublic ? Preset.PublicChat : Preset.PrivateChat,
    visibility: r.isPublic ? Visibility.Public : Visibility.Private,
  };
  if (r.topic.trim()) opts.topic = r.topic.trim();
  if (r.isPublic && r.alias.trim()) opts.room_alias_name = r.alias.trim();
  if (r.encrypted) {
    opts.initial_state = [{ type: EventType.RoomEncryption, state_key: '', content: MEGOLM }];
  }
  const { room_id } = await client.createRoom(opts);
  return room_id;
}

/** The room id of an existing direct chat with `userId` that the person is still in. */
export function findDirectRoom(client: MatrixClient, userId: string): string | null {
  for (const roomId of getDirect(client)[userId] ?? []) {
    const room = client.getRoom(roomId);
    if (room?.getMyMembership() === 'join') return roomId;
  }
  return null;
}

async function saveDirect(client: MatrixClient, content: Record<string, string[]>) {
  await client.setAccountData(EventType.Direct, content);
}

/**
 * Starts a direct chat: an end-to-end encrypted, invite-only room with is_direct set for
 * the invitee, recorded in m.direct (spec "Direct Messaging") so both sides list it under
 * People.
 */
export async function startDirectChat(client: MatrixClient, userId: string): Promise<string> {
  const { room_id } = await client.createRoom({
    is_direct: true,
    invite: [userId],
    preset: Preset.TrustedPrivateChat,
    visibility: Visibility.Private,
    initial_state: [{ type: EventType.RoomEncryption, state_key: '', content: MEGOLM }],
  });
  await saveDirect(client, addDirectRoom(getDirect(client), userId, room_id));
  return room_id;
}

/** Accepts an invite; a direct-chat invite is recorded in m.direct under its inviter. */
export async function acceptInvite(client: MatrixClient, roomId: string): Promise<void> {
  const room = client.getRoom(roomId);
  const direct = room && isDirectInvite(client, room) ? inviterOf(client, room) : undefined;
  await client.joinRoom(roomId);
  if (direct) await saveDirect(client, addDirectRoom(getDirect(client), direct, roomId));
}

/** Declines an invite (a leave) and forgets the room so it leaves the list at once. */
export async function declineInvite(client: MatrixClient, roomId: string): Promise<void> {
  await client.leave(roomId);
}

/** Leaves a room; a direct chat also leaves m.direct. */
export async function leaveRoom(client: MatrixClient, roomId: string): Promise<void> {
  await client.leave(roomId);
  const direct = getDirect(client);
  const updated = removeDirectRoom(direct, roomId);
  if (JSON.stringify(updated) !== JSON.stringify(direct)) await saveDirect(client, updated);
}

const KINDS = { override: PushRuleKind.Override, room: PushRuleKind.RoomSpecific } as const;

/** Writes the push rules for a room's notification level (see notify-level.ts). */
export async function setNotifyLevel(
  client: MatrixClient,
  roomId: string,
  level: NotifyLevel,
): Promise<void> {
  const change = rulesFor(level, roomId);
  const global = client.pushRules?.global;
  for (const { kind } of change.remove) {
    const exists = (global?.[kind] ?? []).some((r) => r.rule_id === roomId);
    if (exists) await client.deletePushRule('global', KINDS[kind], roomId);
  }
  if (change.add) {
    const { kind, body } = change.add;
    await client.addPushRule('global', KINDS[kind], roomId, {
      actions: [],
      ...(body.conditions
        ? {
            conditions: body.conditions.map((c) => ({
              kind: ConditionKind.EventMatch,
              key: c.key,
              pattern: c.pattern,
            })),
          }
        : {}),
    });
  }
  // The client's copy of the rules is what notifyLevelOf reads: fetch it again.
  client.pushRules = await client.getPushRules();
}

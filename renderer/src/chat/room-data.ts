import {
  EventType,
  KnownMembership,
  NotificationCountType,
  type MatrixClient,
  type Room,
} from 'matrix-js-sdk';
import { directRoomPartners, readDirect, type DirectContent } from './direct';
import { cachedDisplayName } from './profile-cache';
import type { RoomSummary } from './room-list';

/** The person's m.direct account data, read defensively. */
export function getDirect(client: MatrixClient): DirectContent {
  return readDirect(client.getAccountData(EventType.Direct)?.getContent());
}

/** Whether an invite was sent as a direct chat (is_direct on the invite event). */
export function isDirectInvite(client: MatrixClient, room: Room): boolean {
  const me = room.getMember(client.getSafeUserId());
  return me?.events.member?.getContent().is_direct === true;
}

/** Who sent the person's invite (the sender of their own invite member event). */
export function inviterOf(client: MatrixClient, room: Room): string | undefined {
  return room.getMember(client.getSafeUserId())?.events.member?.getSender();
}

/** The summaries the room list is drawn from: joined rooms and invites, not spaces. */
export function roomSummaries(client: MatrixClient): RoomSummary[] {
  const partners = directRoomPartners(getDirect(client));
  const out: RoomSummary[] = [];
  for (const room of client.getRooms()) {
    const membership = room.getMyMembership();
    if (membership !== KnownMembership.Join && membership !== KnownMembership.Invite) continue;
    if (room.isSpaceRoom()) continue;
    const invite = membership === KnownMembership.Invite;
    const partner = partners.get(room.roomId);
    // A direct chat named after the person's bare user ID gets their profile's name.
    const name =
      partner && room.name === partner
        ? (cachedDisplayName(client, partner) ?? partner)
        : room.name;
    out.push({
      roomId: room.roomId,
      name: name || room.roomId,
      membership: invite ? 'invite' : 'join',
      isDirect: partners.has(room.roomId) || (invite && isDirectInvite(client, room)),
      lastActive: room.getLastActiveTimestamp() > 0 ? room.getLastActiveTimestamp() : 0,
      unread: invite ? 0 : room.getUnreadNotificationCount(NotificationCountType.Total),
      highlight: invite ? 0 : room.getUnreadNotificationCount(NotificationCountType.Highlight),
      ...(invite ? { inviter: inviterOf(client, room) } : {}),
    });
  }
  return out;
}

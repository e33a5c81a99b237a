import type { MatrixEvent } from 'matrix-js-sdk';

/** A display name for a user id, given by the caller (room member names). */
export type NameOf = (userId: string) => string;

/**
 * One-line text for a state event shown as a notice in the timeline ("Alice joined",
 * "Bob changed the topic to …"), or null for state events the timeline does not show.
 */
export function noticeText(ev: MatrixEvent, nameOf: NameOf): string | null {
  const sender = nameOf(ev.getSender() ?? '');
  const c = ev.getContent();
  const prev = ev.getPrevContent();
  switch (ev.getType()) {
    case 'm.room.create':
      return `${sender} created the room`;
    case 'm.room.member':
      return memberNotice(ev, nameOf);
    case 'm.room.name':
      return typeof c.name === 'string' && c.name
        ? `${sender} changed the room name to ${c.name}`
        : `${sender} removed the room name`;
    case 'm.room.topic':
      return typeof c.topic === 'string' && c.topic
        ? `${sender} changed the topic to "${c.topic}"`
        : `${sender} removed the topic`;
    case 'm.room.avatar':
      return c.url ? `${sender} changed the room avatar` : `${sender} removed the room avatar`;
    case 'm.room.encryption':
      return `${sender} turned on end-to-end encryption`;
    case 'm.room.join_rules':
      return c.join_rule === 'public'
        ? `${sender} made the room public to anyone who knows the link`
        : c.join_rule === 'invite'
          ? `${sender} made the room invite only`
          : `${sender} changed who can join to "${String(c.join_rule)}"`;
    case 'm.room.history_visibility':
      return historyNotice(sender, c.history_visibility);
    case 'm.room.canonical_alias':
      return typeof c.alias === 'string' && c.alias
        ? `${sender} set the main address to ${c.alias}`
        : `${sender} changed the room's addresses`;
    case 'm.room.power_levels':
      return prev && Object.keys(prev).length > 0 ? `${sender} changed the power levels` : null;
    case 'm.room.guest_access':
      return c.guest_access === 'can_join'
        ? `${sender} allowed guests to join`
        : `${sender} stopped guests from joining`;
    case 'm.room.tombstone':
      return `${sender} upgraded this room`;
    default:
      return null;
  }
}

function historyNotice(sender: string, v: unknown): string {
  switch (v) {
    case 'world_readable':
      return `${sender} made future history visible to anyone`;
    case 'shared':
      return `${sender} made future history visible to all members`;
    case 'invited':
      return `${sender} made future history visible to members from when they were invited`;
    case 'joined':
      return `${sender} made future history visible to members from when they joined`;
    default:
      return `${sender} changed the history visibility`;
  }
}

function memberNotice(ev: MatrixEvent, nameOf: NameOf): string | null {
  const c = ev.getContent();
  const prev = ev.getPrevContent();
  const target = ev.getStateKey() ?? '';
  const senderId = ev.getSender() ?? '';
  const sender = nameOf(senderId);
  // The target's name as it was before the change, so "Alice changed their name to Al"
  // reads right; fall back to the user id.
  const targetName =
    (typeof prev.displayname === 'string' && prev.displayname) ||
    (typeof c.displayname === 'string' && c.displayname) ||
    nameOf(target);
  const reason = typeof c.reason === 'string' && c.reason ? `: ${c.reason}` : '';
  const m = c.membership;
  const pm = prev.membership;
  switch (m) {
    case 'join':
      if (pm === 'join') {
        if (c.displayname !== prev.displayname) {
          if (!c.displayname) return `${targetName} removed their display name`;
          if (!prev.displayname)
            return `${target} set their display name to ${String(c.displayname)}`;
          return `${targetName} changed their name to ${String(c.displayname)}`;
        }
        if (c.avatar_url !== prev.avatar_url) return `${targetName} changed their avatar`;
        return null;
      }
      return `${targetName} joined the room`;
    case 'invite':
      return `${sender} invited ${targetName}`;
    case 'leave':
      if (senderId === target) {
        return pm === 'invite'
          ? `${targetName} rejected the invitation`
          : `${targetName} left the room`;
      }
      if (pm === 'ban') return `${sender} unbanned ${targetName}`;
      if (pm === 'invite') return `${sender} withdrew ${targetName}'s invitation${reason}`;
      return `${sender} removed ${targetName}${reason}`;
    case 'ban':
      return `${sender} banned ${targetName}${reason}`;
    case 'knock':
      return `${targetName} asked to join`;
    default:
      return null;
  }
}

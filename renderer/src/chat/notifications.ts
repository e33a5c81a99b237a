import {
  KnownMembership,
  MatrixEventEvent,
  RoomEvent,
  type IRoomTimelineData,
  type MatrixClient,
  type MatrixEvent,
  type Room,
} from 'matrix-js-sdk';
import { directRoomPartners } from './direct';
import { getDirect } from './room-data';

/** Whether this browser can show desktop notifications at all. */
export function notificationsSupported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

/** Asks for permission (only ever from a button: browsers ignore asks made on load). */
export async function askNotificationPermission(): Promise<NotificationPermission> {
  if (!notificationsSupported()) return 'denied';
  return Notification.requestPermission();
}

/**
 * What a notification says for a message: sender and body, or a neutral line. A direct
 * chat's is titled by its sender alone. Its room name is no help there, and may still be
 * the one from before the partner joined: js-sdk names a room again only after the whole
 * sync answer is applied, and the join and the first message often come in one answer.
 */
function describe(
  event: MatrixEvent,
  room: Room,
  isDirect: boolean,
): { title: string; body: string } {
  const sender = room.getMember(event.getSender() ?? '')?.name ?? event.getSender() ?? '';
  const content = event.getContent();
  const body = typeof content.body === 'string' ? content.body : 'New message';
  const title =
    !isDirect && room.name && room.name !== sender ? `${sender} in ${room.name}` : sender;
  return { title, body: body.length > 200 ? body.slice(0, 199) + '…' : body };
}

/**
 * Shows a desktop notification for each new message that mentions the person (the push
 * rules' highlight tweak) or arrives in a direct chat, while the window is not focused.
 * `open` is called when one is clicked. Returns the function that stops watching.
 */
export function watchNotifications(
  client: MatrixClient,
  open: (roomId: string) => void,
): () => void {
  const me = client.getSafeUserId();
  const show = (event: MatrixEvent, room: Room) => {
    if (!notificationsSupported() || Notification.permission !== 'granted') return;
    if (document.hasFocus()) return;
    if (event.getType() !== 'm.room.message' || event.getSender() === me) return;
    const actions = client.getPushActionsForEvent(event);
    const isDirect = directRoomPartners(getDirect(client)).has(room.roomId);
    const mention = actions?.tweaks?.highlight === true;
    // A muted room has no notify action: it stays quiet even when it is a DM.
    if (!actions?.notify || !(mention || isDirect)) return;
    const { title, body } = describe(event, room, isDirect);
    const n = new Notification(title, { body, tag: event.getId() ?? undefined });
    n.onclick = () => {
      window.focus();
      open(room.roomId);
      n.close();
    };
  };
  const onTimeline = (
    event: MatrixEvent,
    room: Room | undefined,
    toStartOfTimeline: boolean | undefined,
    _removed: boolean,
    data: IRoomTimelineData,
  ) => {
    if (!room || toStartOfTimeline || !data.liveEvent) return;
    if (room.getMyMembership() !== KnownMembership.Join) return;
    // An encrypted message is judged once decrypted: its type and body are inside.
    if (event.isEncrypted() && event.isBeingDecrypted()) {
      event.once(MatrixEventEvent.Decrypted, () => show(event, room));
    } else {
      show(event, room);
    }
  };
  client.on(RoomEvent.Timeline, onTimeline);
  return () => client.off(RoomEvent.Timeline, onTimeline);
}

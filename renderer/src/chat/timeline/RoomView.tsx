/**
 * One room: header, timeline and composer. Owner: the timeline engineer.
 * `onOpenSettings` opens the room settings panel (the chat-shell engineer's RoomSettings).
 */
export function RoomView(props: { roomId: string; onOpenSettings: () => void }) {
  return <section aria-label="Room">{props.roomId}</section>;
}

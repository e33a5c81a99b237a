import type { MatrixClient, MatrixEvent, Room } from 'matrix-js-sdk';
import { Avatar } from './Avatar';

const SHOWN = 4;

/** Who has read up to here: small avatars of the other members whose receipt is on it. */
export function ReadReceipts(props: { client: MatrixClient; room: Room; events: MatrixEvent[] }) {
  const me = props.client.getUserId();
  const readers = new Set<string>();
  for (const ev of props.events) {
    for (const u of props.room.getUsersReadUpTo(ev)) if (u !== me) readers.add(u);
  }
  if (readers.size === 0) return null;
  const people = [...readers].map((id) => ({ id, member: props.room.getMember(id) }));
  const names = people.map((p) => p.member?.name ?? p.id);
  return (
    <div
      className="tl-receipts"
      role="img"
      aria-label={`Read by ${names.join(', ')}`}
      title={`Read by ${names.join(', ')}`}
    >
      {people.slice(0, SHOWN).map((p) => (
        <Avatar
          key={p.id}
          client={props.client}
          id={p.id}
          name={p.member?.name ?? p.id}
          mxc={p.member?.getMxcAvatarUrl()}
          size={16}
          className="tl-receipt"
        />
      ))}
      {people.length > SHOWN && <span className="tl-receipt-more">+{people.length - SHOWN}</span>}
    </div>
  );
}

import { useEffect, useRef, type KeyboardEvent } from 'react';
import {
  EventType,
  RelationType,
  type MatrixClient,
  type MatrixEvent,
  type Room,
} from 'matrix-js-sdk';

/** The reactions the picker offers: the common ones people use most. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢', '👀', '🙏'];

interface ReactionGroup {
  key: string;
  count: number;
  senders: string[];
  mine: MatrixEvent | null;
}

/** The reactions (m.annotation) on an event, grouped by key, oldest key first. */
export function reactionGroups(room: Room, eventId: string, me: string): ReactionGroup[] {
  const rel = room.relations.getChildEventsForEvent(eventId, 'm.annotation', 'm.reaction');
  const sorted = rel?.getSortedAnnotationsByKey() ?? [];
  const groups: ReactionGroup[] = [];
  for (const [key, set] of sorted) {
    const live = [...set].filter((e) => !e.isRedacted() && e.status !== 'cancelled');
    if (live.length === 0) continue;
    groups.push({
      key,
      count: live.length,
      senders: live.map((e) => room.getMember(e.getSender() ?? '')?.name ?? e.getSender() ?? ''),
      mine: live.find((e) => e.getSender() === me) ?? null,
    });
  }
  return groups;
}

/** Adds my reaction `key` to an event, or takes it back if I already reacted with it. */
export async function toggleReaction(
  client: MatrixClient,
  room: Room,
  target: MatrixEvent,
  key: string,
): Promise<void> {
  const mine = reactionGroups(room, target.getId() ?? '', client.getUserId() ?? '').find(
    (g) => g.key === key,
  )?.mine;
  if (mine) {
    const id = mine.getId();
    if (id && !id.startsWith('~')) await client.redactEvent(room.roomId, id);
    return;
  }
  await client.sendEvent(room.roomId, EventType.Reaction, {
    'm.relates_to': { rel_type: RelationType.Annotation, event_id: target.getId() ?? '', key },
  });
}

/** The chips under a message: one per reaction with its count; mine are pressed. */
export function ReactionRow(props: {
  client: MatrixClient;
  room: Room;
  event: MatrixEvent;
  onError: (m: string) => void;
}) {
  const groups = reactionGroups(
    props.room,
    props.event.getId() ?? '',
    props.client.getUserId() ?? '',
  );
  if (groups.length === 0) return null;
  return (
    <div className="tl-reactions" role="group" aria-label="Reactions">
      {groups.map((g) => (
        <button
          key={g.key}
          type="button"
          className={`tl-reaction${g.mine ? ' tl-reaction-mine' : ''}`}
          aria-pressed={g.mine !== null}
          aria-label={`${g.key} ${g.count}: ${g.senders.join(', ')}${g.mine ? ' (click to remove yours)' : ''}`}
          title={g.senders.join(', ')}
          onClick={() =>
            toggleReaction(props.client, props.room, props.event, g.key).catch((e: unknown) =>
              props.onError(
                `The reaction could not be sent: ${e instanceof Error ? e.message : String(e)}`,
              ),
            )
          }
        >
          <span aria-hidden="true">{g.key}</span> <span aria-hidden="true">{g.count}</span>
        </button>
      ))}
    </div>
  );
}

/** A small popover of common emoji; Escape closes it, arrows move between them. */
export function ReactionPicker(props: { onPick: (key: string) => void; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  // The latest onClose, without re-running the effect when the tile re-renders.
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;
  useEffect(() => {
    ref.current?.querySelector('button')?.focus();
    // A click anywhere else closes the picker.
    const onDown = (e: MouseEvent) => {
      // (The toolbar's own React button toggles it itself.)
      if (!ref.current?.parentElement?.contains(e.target as Node)) onClose.current();
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, []);
  const onKeyDown = (e: KeyboardEvent) => {
    const buttons = [...(ref.current?.querySelectorAll('button') ?? [])];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape') {
      e.stopPropagation();
      props.onClose();
    } else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      const n = (i + (e.key === 'ArrowRight' ? 1 : -1) + buttons.length) % buttons.length;
      buttons[n]?.focus();
    }
  };
  return (
    <div
      className="tl-picker"
      role="dialog"
      aria-label="Pick a reaction"
      ref={ref}
      onKeyDown={onKeyDown}
    >
      {QUICK_REACTIONS.map((k) => (
        <button
          key={k}
          type="button"
          className="tl-picker-item"
          aria-label={`React with ${k}`}
          onClick={() => props.onPick(k)}
        >
          {k}
        </button>
      ))}
    </div>
  );
}

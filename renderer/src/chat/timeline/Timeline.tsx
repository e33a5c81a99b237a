import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { MatrixClient, MatrixEvent, Room } from 'matrix-js-sdk';
import { EventTile, type TileActions } from './EventTile';
import { buildTimelineItems } from './timeline-model';
import { Icon } from './icons';
import { canPaginateBack, useBackPagination } from './use-room';

/** How close to the top (px) before older history is asked for. */
const LOAD_MARGIN = 600;
/** How close to the bottom (px) still counts as "at the latest message". */
const BOTTOM_MARGIN = 48;

/**
 * The room's events, oldest first. My messages still being sent are in it too: the client
 * keeps local echoes in the live timeline (pendingEventOrdering "chronological").
 */
export function roomEvents(room: Room): MatrixEvent[] {
  return room.getLiveTimeline().getEvents();
}

function waitForElement(id: string, ms: number): Promise<HTMLElement | null> {
  const end = performance.now() + ms;
  return new Promise((resolve) => {
    const look = () => {
      const el = document.getElementById(id);
      if (el || performance.now() > end) resolve(el);
      else requestAnimationFrame(look);
    };
    look();
  });
}

/**
 * The scrolling list of messages. It is anchored at the bottom (flex column-reverse), so
 * older pages added at the top do not move what the person is reading. Reaching the top
 * loads older history; "Jump to latest" shows when scrolled up; while the latest message
 * is in view and the page is visible, a read receipt and read marker are sent for it.
 */
export function Timeline(props: {
  client: MatrixClient;
  room: Room;
  version: number;
  previews: boolean;
  actions: Omit<TileActions, 'onJumpTo'>;
}) {
  const { client, room, version } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [atBottom, setAtBottom] = useState(true);
  const [highlight, setHighlight] = useState<string | null>(null);
  const [visible, setVisible] = useState(() => document.visibilityState === 'visible');
  const lastMarked = useRef<string | null>(null);
  const { loading, error, paginate } = useBackPagination(client, room);

  const events = useMemo(() => roomEvents(room), [room, version]);
  const items = useMemo(
    () => buildTimelineItems(events, (id) => room.getMember(id)?.name ?? id),
    [events, room, version],
  );
  const atStart = !canPaginateBack(room);

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    // column-reverse: scrollTop is 0 at the bottom and negative above it.
    setAtBottom(-el.scrollTop < BOTTOM_MARGIN);
    const fromTop = el.scrollHeight - el.clientHeight + el.scrollTop;
    if (fromTop < LOAD_MARGIN) void paginate();
  }, [paginate]);

  // Fill the view: while the loaded messages do not overflow it, load more.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && !loading && !error && !atStart && el.scrollHeight <= el.clientHeight + LOAD_MARGIN) {
      void paginate();
    }
  }, [items, loading, error, atStart, paginate]);

  useEffect(() => {
    const onVis = () => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', onVis);
    return () => document.removeEventListener('visibilitychange', onVis);
  }, []);

  // Read receipt and read marker for the latest event, once the person can see it.
  useEffect(() => {
    if (!atBottom || !visible) return;
    const live = room.getLiveTimeline().getEvents();
    for (let i = live.length - 1; i >= 0; i--) {
      const ev = live[i]!;
      const id = ev.getId();
      if (!id?.startsWith('$')) continue;
      if (lastMarked.current === id) return;
      lastMarked.current = id;
      const me = client.getUserId() ?? '';
      if (ev.getSender() === me && room.getEventReadUpTo(me) === id) return;
      client.setRoomReadMarkers(room.roomId, id, ev).catch(() => {
        lastMarked.current = null; // try again with the next change
      });
      return;
    }
  }, [atBottom, visible, client, room, version]);

  // My own new message brings the view down to it, wherever the person had scrolled.
  const latest = events[events.length - 1];
  const latestKey = latest ? (latest.getTxnId() ?? latest.getId()) : undefined;
  const latestMine = latest?.getSender() === client.getUserId();
  useEffect(() => {
    if (latestMine) scroller.current?.scrollTo({ top: 0 });
  }, [latestKey, latestMine]);

  const jumpToLatest = () => {
    scroller.current?.scrollTo({ top: 0, behavior: 'smooth' });
  };

  const onJumpTo = useCallback(
    async (eventId: string) => {
      // Load older pages until the message is there (a reply to something far back).
      for (let i = 0; i < 20 && !room.findEventById(eventId); i++) {
        if (!(await paginate(100))) break;
      }
      // The loaded page is drawn on a later frame: wait for the message's element.
      const el = await waitForElement(`tl-ev-${eventId}`, 3000);
      if (!el) {
        props.actions.onError('That message is no longer available.');
        return;
      }
      el.scrollIntoView({ block: 'center' });
      el.focus({ preventScroll: true });
      setHighlight(eventId);
      setTimeout(() => setHighlight((h) => (h === eventId ? null : h)), 4000);
    },
    [room, paginate, props.actions],
  );

  const actions = useMemo<TileActions>(
    () => ({ ...props.actions, onJumpTo }),
    [props.actions, onJumpTo],
  );

  return (
    <div className="tl-timeline">
      <div className="tl-scroll" ref={scroller} onScroll={onScroll}>
        <div
          role="log"
          aria-label={`Messages in ${room.name}`}
          aria-busy={loading}
          className="tl-log"
        >
          <div className="tl-start">
            {atStart ? (
              <p>This is the beginning of {room.name}.</p>
            ) : loading ? (
              <p role="status">Loading older messages…</p>
            ) : error ? (
              <p role="alert">
                Older messages could not be loaded ({error}).{' '}
                <button type="button" className="tl-link-button" onClick={() => void paginate()}>
                  Try again
                </button>
              </p>
            ) : (
              <button type="button" className="tl-link-button" onClick={() => void paginate()}>
                Load older messages
              </button>
            )}
          </div>
          <ol className="tl-list">
            {items.map((it) =>
              it.kind === 'day' ? (
                <li key={it.key} className="tl-day">
                  <span>{it.label}</span>
                </li>
              ) : it.kind === 'notice' ? (
                <li
                  key={it.key}
                  className="tl-notice"
                  id={`tl-ev-${it.event.getId() ?? ''}`}
                  tabIndex={-1}
                >
                  {it.text}
                </li>
              ) : (
                <EventTile
                  key={it.key}
                  client={client}
                  room={room}
                  event={it.event}
                  covered={it.covered}
                  continuation={it.continuation}
                  highlighted={highlight === it.event.getId()}
                  previews={props.previews}
                  actions={actions}
                  version={version}
                />
              ),
            )}
          </ol>
        </div>
      </div>
      {!atBottom && (
        <button type="button" className="tl-jump" onClick={jumpToLatest}>
          Jump to latest <Icon name="down" size={16} />
        </button>
      )}
    </div>
  );
}

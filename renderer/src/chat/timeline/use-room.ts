import { useCallback, useEffect, useRef, useState } from 'react';
import {
  ClientEvent,
  Direction,
  MatrixEventEvent,
  RoomEvent,
  RoomMemberEvent,
  RoomStateEvent,
  type MatrixClient,
  type MatrixEvent,
  type Room,
} from 'matrix-js-sdk';

/** The room once the client knows it (it may arrive with a later sync). */
export function useRoom(client: MatrixClient, roomId: string): Room | null {
  const [room, setRoom] = useState<Room | null>(() => client.getRoom(roomId));
  useEffect(() => {
    setRoom(client.getRoom(roomId));
    const onRoom = (r: Room) => {
      if (r.roomId === roomId) setRoom(r);
    };
    client.on(ClientEvent.Room, onRoom);
    return () => {
      client.off(ClientEvent.Room, onRoom);
    };
  }, [client, roomId]);
  return room;
}

/**
 * A number that changes whenever something drawn in the room changes (new events,
 * decryption, redactions, local echoes, receipts, state, members). Bursts (a page of
 * history) are folded into one re-render per animation frame.
 */
export function useRoomVersion(client: MatrixClient, room: Room | null): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (!room) return;
    let frame = 0;
    const bump = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setVersion((v) => v + 1);
      });
    };
    const onTimeline = (_e: MatrixEvent, r: Room | undefined) => {
      if (r?.roomId === room.roomId) bump();
    };
    const onEvent = (e: MatrixEvent) => {
      if (e.getRoomId() === room.roomId) bump();
    };
    const roomEvents = [
      RoomEvent.Redaction,
      RoomEvent.RedactionCancelled,
      RoomEvent.LocalEchoUpdated,
      RoomEvent.Receipt,
      RoomEvent.Name,
      RoomEvent.TimelineReset,
    ] as const;
    client.on(RoomEvent.Timeline, onTimeline);
    client.on(MatrixEventEvent.Decrypted, onEvent);
    client.on(MatrixEventEvent.Replaced, onEvent);
    for (const e of roomEvents) room.on(e, bump);
    room.on(RoomStateEvent.Events, bump);
    client.on(RoomMemberEvent.Name, bump);
    return () => {
      if (frame) cancelAnimationFrame(frame);
      client.off(RoomEvent.Timeline, onTimeline);
      client.off(MatrixEventEvent.Decrypted, onEvent);
      client.off(MatrixEventEvent.Replaced, onEvent);
      for (const e of roomEvents) room.off(e, bump);
      room.off(RoomStateEvent.Events, bump);
      client.off(RoomMemberEvent.Name, bump);
    };
  }, [client, room]);
  return version;
}

/** The names of the other members typing in the room now. */
export function useTyping(client: MatrixClient, room: Room | null): string[] {
  const [names, setNames] = useState<string[]>([]);
  useEffect(() => {
    if (!room) return;
    const me = client.getUserId();
    const update = () =>
      setNames(
        room
          .getMembers()
          .filter((m) => m.typing && m.userId !== me)
          .map((m) => m.name || m.userId),
      );
    update();
    client.on(RoomMemberEvent.Typing, update);
    return () => {
      client.off(RoomMemberEvent.Typing, update);
    };
  }, [client, room]);
  return names;
}

/** Whether older history can still be loaded (the room's creation is not reached yet). */
export function canPaginateBack(room: Room): boolean {
  const tl = room.getLiveTimeline();
  if (tl.getEvents().some((e) => e.getType() === 'm.room.create')) return false;
  return tl.getPaginationToken(Direction.Backward) !== null;
}

/**
 * Loads older history (client.scrollback), one page at a time. A call while a page is
 * loading waits for that page instead of asking twice.
 */
export function useBackPagination(client: MatrixClient, room: Room | null) {
  const inflight = useRef<Promise<boolean> | null>(null);
  const [state, setState] = useState<{ loading: boolean; error: string | null }>({
    loading: false,
    error: null,
  });
  const paginate = useCallback(
    (limit = 40): Promise<boolean> => {
      if (inflight.current) return inflight.current;
      if (!room || !canPaginateBack(room)) return Promise.resolve(false);
      setState({ loading: true, error: null });
      const p = client.scrollback(room, limit).then(
        () => {
          setState({ loading: false, error: null });
          return true;
        },
        (e: unknown) => {
          setState({ loading: false, error: e instanceof Error ? e.message : String(e) });
          return false;
        },
      );
      inflight.current = p.finally(() => {
        inflight.current = null;
      });
      return inflight.current;
    },
    [client, room],
  );
  return { ...state, paginate };
}

import { useEffect, useState } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';

/**
 * Re-renders the caller when any of `events` fires on the client, at most once per frame:
 * a sync can carry hundreds of events, and the list only needs to be drawn once for them.
 */
export function useClientUpdates(client: MatrixClient, events: readonly string[]): number {
  const [tick, setTick] = useState(0);
  const key = events.join('|');
  useEffect(() => {
    let frame = 0;
    const bump = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setTick((t) => t + 1);
      });
    };
    const names = key.split('|');
    // The client re-emits every room's events, so one listener per name covers all rooms.
    const emitter = client as unknown as {
      on(name: string, fn: () => void): void;
      off(name: string, fn: () => void): void;
    };
    for (const n of names) emitter.on(n, bump);
    return () => {
      for (const n of names) emitter.off(n, bump);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [client, key]);
  return tick;
}

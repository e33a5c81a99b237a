/**
 * Wakes long-polling /sync requests. A waiter listens on keys (its user id, its rooms);
 * after a commit the writer's caller notifies the keys it touched, and every waiter on any
 * of them resolves at once, then reads its delta from the database. Waiters are indexed by
 * key, so a message in a room wakes its members without scanning everyone else.
 */
export class Notifier {
  private readonly byKey = new Map<string, Set<Waiter>>();

  /**
   * Resolves `true` when one of `keys` is notified, `false` after `timeoutMs`, or at once
   * (`false`) when the signal aborts (the client went away).
   */
  wait(keys: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        wake: (woken) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          for (const k of keys) {
            const set = this.byKey.get(k);
            set?.delete(waiter);
            if (set?.size === 0) this.byKey.delete(k);
          }
          resolve(woken);
        },
      };
      const onAbort = () => waiter.wake(false);
      const timer = setTimeout(() => waiter.wake(false), Math.max(0, timeoutMs));
      for (const k of keys) {
        let set = this.byKey.get(k);
        if (!set) this.byKey.set(k, (set = new Set()));
        set.add(waiter);
      }
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Wakes every waiter listening on any of `keys`. */
  notify(keys: Iterable<string>): void {
    const woken = new Set<Waiter>();
    for (const k of keys) for (const w of this.byKey.get(k) ?? []) woken.add(w);
    for (const w of woken) w.wake(true);
  }

  /** How many waiters listen on `key`. */
  listeners(key: string): number {
    return this.byKey.get(key)?.size ?? 0;
  }
}

interface Waiter {
  wake(woken: boolean): void;
}

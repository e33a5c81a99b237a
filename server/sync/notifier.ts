/**
 * Wakes long-polling /sync requests. A waiter listens on keys (its user id, its rooms);
 * after a commit the writer's caller notifies the keys it touched, and every waiter on any
 * of them resolves at once, then reads its delta from the database. Waiters are indexed by
 * key, so a message in a room wakes its members without scanning everyone else.
 */
export class Notifier {
  private readonly byKey = new Map<string, Set<Waiter>>();
  /** How many notifications there have been: what is read before one may be stale after it. */
  generation = 0;

  /**
   * Resolves `true` when one of `keys` is notified, `false` after `timeoutMs`, or at once
   * (`false`) when the signal aborts (the client went away) or the WaitCancel is cancelled.
   */
  wait(
    keys: readonly string[],
    timeoutMs: number,
    signal?: AbortSignal | WaitCancel,
  ): Promise<boolean> {
    return new Promise((resolve) => {
      const cancel = signal instanceof WaitCancel ? signal : null;
      const abortSignal = cancel ? null : (signal as AbortSignal | undefined);
      const waiter: Waiter = {
        detach: () => {
          clearTimeout(timer);
          cancel?.clear();
          abortSignal?.removeEventListener('abort', onAbort);
          for (const k of keys) {
            const set = this.byKey.get(k);
            set?.delete(waiter);
            if (set?.size === 0) this.byKey.delete(k);
          }
        },
        resolve,
      };
      const onAbort = () => {
        waiter.detach();
        resolve(false);
      };
      const timer = setTimeout(onAbort, Math.max(0, timeoutMs));
      for (const k of keys) {
        let set = this.byKey.get(k);
        if (!set) this.byKey.set(k, (set = new Set()));
        set.add(waiter);
      }
      if (cancel) cancel.onCancel(onAbort);
      else if (abortSignal?.aborted) onAbort();
      else abortSignal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Wakes every waiter listening on any of `keys`. All of them are detached at once (each
   * is certain to resolve `true`, whatever its timer or signal does meanwhile), but they
   * are resolved WAKE_BATCH at a time, one batch per turn of the event loop: a woken
   * /sync runs to its answer without leaving the loop (the database is synchronous), so
   * resolving hundreds together would hold every answer, and the notifying request's own,
   * until the last of them was computed. The first batch too waits for the next turn, so
   * the notifying request (a send) answers before the syncs it woke.
   */
  notify(keys: Iterable<string>): void {
    this.generation++;
    const woken = new Set<Waiter>();
    for (const k of keys) for (const w of this.byKey.get(k) ?? []) woken.add(w);
    if (!woken.size) return;
    const queue = [...woken];
    for (const w of queue) w.detach();
    const resolveBatch = (from: number) => {
      const end = Math.min(queue.length, from + WAKE_BATCH);
      for (let i = from; i < end; i++) queue[i]!.resolve(true);
      if (end < queue.length) setImmediate(resolveBatch, end);
    };
    setImmediate(resolveBatch, 0);
  }

  /** How many waiters listen on `key`. */
  listeners(key: string): number {
    return this.byKey.get(key)?.size ?? 0;
  }
}

/** Waiters resolved per turn of the event loop by `notify`. */
const WAKE_BATCH = 8;

interface Waiter {
  /** Stops its timer and abort listener and removes it from the index. */
  detach(): void;
  resolve(woken: boolean): void;
}

/**
 * A cancel switch for Notifier.wait, for a caller that makes one per wait: an
 * AbortController is an EventTarget, and making, listening on and aborting one for each
 * woken long-poll cost about a tenth of waking hundreds of them. One listener at a time.
 */
export class WaitCancel {
  private listener: (() => void) | null = null;
  cancelled = false;

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const f = this.listener;
    this.listener = null;
    f?.();
  }

  /** Calls `f` on cancel (at once when cancelled already). */
  onCancel(f: () => void): void {
    if (this.cancelled) f();
    else this.listener = f;
  }

  clear(): void {
    this.listener = null;
  }
}

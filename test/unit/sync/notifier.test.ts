import { describe, expect, it } from 'vitest';
import { Notifier, WaitCancel } from '../../../server/sync/notifier.js';

describe('Notifier', () => {
  it('wakes every waiter on a notified key at once, and only those', async () => {
    const n = new Notifier();
    const inRoom = Array.from({ length: 500 }, () => n.wait(['!room', '@someone'], 10_000));
    const elsewhere = n.wait(['!other'], 50);
    expect(n.listeners('!room')).toBe(500);
    n.notify(['!room']);
    expect(await Promise.all(inRoom)).toEqual(Array(500).fill(true));
    expect(await elsewhere).toBe(false);
    expect(n.listeners('!room')).toBe(0);
    expect(n.listeners('@someone')).toBe(0);
  });

  it('times out with false and forgets the waiter', async () => {
    const n = new Notifier();
    const t0 = Date.now();
    expect(await n.wait(['k'], 30)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    expect(n.listeners('k')).toBe(0);
  });

  it('an aborted request stops waiting at once', async () => {
    const n = new Notifier();
    const ac = new AbortController();
    const p = n.wait(['k'], 10_000, ac.signal);
    ac.abort();
    expect(await p).toBe(false);
    expect(n.listeners('k')).toBe(0);
    const already = new AbortController();
    already.abort();
    expect(await n.wait(['k'], 10_000, already.signal)).toBe(false);
  });

  it('a WaitCancel stops a wait at once, also when cancelled before it', async () => {
    const n = new Notifier();
    const c = new WaitCancel();
    const p = n.wait(['k'], 10_000, c);
    c.cancel();
    expect(await p).toBe(false);
    expect(n.listeners('k')).toBe(0);
    expect(await n.wait(['k'], 10_000, c)).toBe(false);
    // Woken first: a later cancel changes nothing, and the switch holds no listener.
    const d = new WaitCancel();
    const q = n.wait(['k'], 10_000, d);
    n.notify(['k']);
    expect(await q).toBe(true);
    d.cancel();
    expect(d.cancelled).toBe(true);
  });

  it('a waiter on two notified keys wakes once', async () => {
    const n = new Notifier();
    const p = n.wait(['a', 'b'], 1000);
    n.notify(['a', 'b']);
    expect(await p).toBe(true);
  });
});

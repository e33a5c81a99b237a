import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../../../server/events/room-queue.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('KeyedQueue', () => {
  it('runs the tasks of one key one at a time, in order', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([
      q.run('!a', task('1', 20)),
      q.run('!a', task('2', 1)),
      q.run('!a', task('3', 5)),
    ]);
    expect(results).toEqual(['1', '2', '3']);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('lets different keys run side by side', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    await Promise.all([
      q.run('!a', async () => {
        log.push('a start');
        await tick(20);
        log.push('a end');
      }),
      q.run('!b', async () => {
        log.push('b start');
        log.push('b end');
      }),
    ]);
    expect(log.indexOf('b end')).toBeLessThan(log.indexOf('a end'));
  });

  it('a failing task rejects its caller and does not stop the queue; idle keys are dropped', async () => {
    const q = new KeyedQueue();
    const failed = q.run('!a', async () => {
      throw new Error('boom');
    });
    const next = q.run('!a', async () => 'ok');
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('ok');
    await tick(0);
    expect(q.size).toBe(0);
  });
});

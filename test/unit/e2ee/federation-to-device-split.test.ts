import { describe, expect, test } from 'vitest';
import { MatrixError } from '../../../server/core/errors.js';
import {
  MAX_EDU_BYTES,
  splitToDeviceForEdus,
} from '../../../server/e2ee/federation/to-device-split.js';

/** Splitting to-device messages over m.direct_to_device EDUs (to-device-split.ts). */

const pad = (n: number) => ({ pad: 'x'.repeat(n) });
const eduBytes = (messages: Record<string, unknown>) =>
  Buffer.byteLength(
    JSON.stringify({
      edu_type: 'm.direct_to_device',
      content: { sender: '@a:here', type: 't', message_id: 'x'.repeat(32), messages },
    }),
  );

describe('splitToDeviceForEdus', () => {
  test('small messages to one server: one group, as sent', () => {
    const m = { '@b:there': { D1: { a: 1 }, D2: { a: 2 } }, '@c:there': { '*': { a: 3 } } };
    expect(splitToDeviceForEdus('@a:here', 't', m)).toEqual([m]);
  });

  test('users of different servers never share a group', () => {
    const groups = splitToDeviceForEdus('@a:here', 't', {
      '@b:one': { D: {} },
      '@c:two': { D: {} },
      '@d:one': { D: {} },
    });
    expect(groups).toEqual([{ '@b:one': { D: {} }, '@d:one': { D: {} } }, { '@c:two': { D: {} } }]);
  });

  test.each([2, 3, 7])('%i messages of 30 kB: groups that each fit, none lost', (n) => {
    const byDevice = Object.fromEntries(
      Array.from({ length: n }, (_, i) => [`D${i}`, pad(30_000)]),
    );
    const groups = splitToDeviceForEdus('@a:here', 't', { '@b:there': byDevice });
    expect(groups.length).toBe(Math.ceil(n / 2));
    for (const g of groups) expect(eduBytes(g)).toBeLessThanOrEqual(MAX_EDU_BYTES);
    expect(groups.flatMap((g) => Object.keys(g['@b:there']!)).sort()).toEqual(
      Object.keys(byDevice).sort(),
    );
  });

  test('one message that no EDU can hold: 413 M_TOO_LARGE', () => {
    let thrown: unknown;
    try {
      splitToDeviceForEdus('@a:here', 't', { '@b:there': { D: pad(MAX_EDU_BYTES) } });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(MatrixError);
    expect((thrown as MatrixError).status).toBe(413);
    expect((thrown as MatrixError).errcode).toBe('M_TOO_LARGE');
  });

  test('the largest message accepted fits in an EDU, with little room to spare', () => {
    const split = (n: number) =>
      splitToDeviceForEdus('@a:here', 't', { '@b:there': { D: pad(n) } });
    let lo = 0;
    let hi = MAX_EDU_BYTES;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      try {
        split(mid);
        lo = mid;
      } catch {
        hi = mid - 1;
      }
    }
    const size = eduBytes(split(lo)[0]!);
    expect(size).toBeLessThanOrEqual(MAX_EDU_BYTES);
    expect(size).toBeGreaterThan(MAX_EDU_BYTES - 200);
    expect(() => split(lo + 1)).toThrow(MatrixError);
  });
});

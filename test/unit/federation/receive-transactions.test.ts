import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MatrixError } from '../../../server/core/errors.js';
import {
  receiveTransaction,
  type TransactionBody,
} from '../../../server/federation/receive/transaction.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * The bookkeeping of received transactions (server/federation/receive/transaction.ts):
 * answered once per id, one at a time per origin, forgotten after a day. The transactions
 * carry only EDUs (to-device messages for a local user), so their effect is what the
 * user's /sync shows and no key of the origin is needed.
 */

const ORIGIN = 'hs-x.test';
let now = 1_800_000_000_000;
let s: TestServer;
let alice: { userId: string; token: string; deviceId: string };

beforeAll(async () => {
  s = await createTestServer({}, { clock: { now: () => now } });
  alice = await s.register('alice');
});
afterAll(() => s?.close());

function body(messageId: string, n: number): TransactionBody {
  return {
    origin: ORIGIN,
    origin_server_ts: now,
    pdus: [],
    edus: [
      {
        edu_type: 'm.direct_to_device',
        content: {
          sender: `@xavier:${ORIGIN}`,
          type: 'org.example.ping',
          message_id: messageId,
          messages: { [alice.userId]: { [alice.deviceId]: { n } } },
        },
      },
    ],
  };
}

let since: string | undefined;
/** The contents of the to-device messages alice's device received since the last call. */
async function received(): Promise<unknown[]> {
  const q = since ? `?timeout=0&since=${encodeURIComponent(since)}` : '?timeout=0';
  const r = (await s.req('GET', `/_matrix/client/v3/sync${q}`, { token: alice.token })).json();
  since = r.next_batch;
  return (r.to_device?.events ?? []).map((e: { content: unknown }) => e.content);
}

const receive = (txnId: string, b: TransactionBody) =>
  receiveTransaction(s.ctx, { origin: ORIGIN, txnId, body: b });

describe('received transactions', () => {
  it('are processed once per id: a repeat gets the first answer, whatever it holds', async () => {
    await received();
    expect(await receive('t1', body('a', 1))).toEqual({ pdus: {} });
    expect(await receive('t1', body('b', 2))).toEqual({ pdus: {} });
    expect(await received()).toEqual([{ n: 1 }]);
  });

  it('one at a time per origin: another id waits its turn (429), the same id shares the answer', async () => {
    const first = receive('t2', body('c', 3));
    const other = receive('t3', body('d', 4));
    const same = receive('t2', body('c', 3));
    await expect(other).rejects.toMatchObject({ status: 429, errcode: 'M_UNKNOWN' });
    await expect(other).rejects.toBeInstanceOf(MatrixError);
    expect(await first).toEqual({ pdus: {} });
    expect(await same).toEqual({ pdus: {} });
    expect(await received()).toEqual([{ n: 3 }]);
    // Its turn come, t3 goes through.
    await receive('t3', body('d', 4));
    expect(await received()).toEqual([{ n: 4 }]);
  });

  it('a to-device message_id is delivered once, also in another transaction', async () => {
    await receive('t4', body('e', 5));
    await receive('t5', body('e', 5));
    expect(await received()).toEqual([{ n: 5 }]);
  });

  it('are forgotten after a day, with the to-device message ids', async () => {
    now += 25 * 60 * 60_000;
    // The next new transaction prunes what is older than a day.
    await receive('t6', body('f', 6));
    expect(await received()).toEqual([{ n: 6 }]);
    await receive('t1', body('a', 7));
    expect(await received()).toEqual([{ n: 7 }]);
  });
});

import { describe, expect, it } from 'vitest';
import { buildTransactionBody, pduErrors } from '../../../server/federation/sender/transaction.js';

const row = (id: number, eduType: string, content: unknown) => ({
  id,
  edu_type: eduType,
  content_json: JSON.stringify(content),
  queued_ts: 0,
});

describe('buildTransactionBody', () => {
  it('keeps PDUs and EDUs in queue order and leaves out `edus` when there are none', () => {
    const pdus = [{ type: 'm.room.message' }, { type: 'm.room.member' }];
    expect(buildTransactionBody({ origin: 'a.test', ts: 5, now: 9, pdus, edus: [] })).toEqual({
      origin: 'a.test',
      origin_server_ts: 5,
      pdus,
    });
    const body = buildTransactionBody({
      origin: 'a.test',
      ts: 5,
      now: 9,
      pdus: [],
      edus: [
        row(1, 'm.typing', { typing: true }),
        row(2, 'm.direct_to_device', { message_id: 'x' }),
      ],
    });
    expect(body.edus).toEqual([
      { edu_type: 'm.typing', content: { typing: true } },
      { edu_type: 'm.direct_to_device', content: { message_id: 'x' } },
    ]);
  });

  it('merges every presence into one m.presence EDU, with last_active_ago as of sending', () => {
    const body = buildTransactionBody({
      origin: 'a.test',
      ts: 5,
      now: 10_000,
      pdus: [],
      edus: [
        row(1, 'm.typing', { typing: true }),
        row(2, 'm.presence', {
          push: [{ user_id: '@a:a.test', presence: 'online', last_active_ts: 9_000 }],
        }),
        row(3, 'm.receipt', {}),
        row(4, 'm.presence', { push: [{ user_id: '@b:a.test', presence: 'offline' }] }),
      ],
    });
    expect(body.edus).toEqual([
      { edu_type: 'm.typing', content: { typing: true } },
      {
        edu_type: 'm.presence',
        content: {
          push: [
            { user_id: '@a:a.test', presence: 'online', last_active_ago: 1_000 },
            { user_id: '@b:a.test', presence: 'offline', last_active_ago: 0 },
          ],
        },
      },
      { edu_type: 'm.receipt', content: {} },
    ]);
  });
});

describe('pduErrors', () => {
  it.each([
    [undefined, []],
    [null, []],
    ['text', []],
    [{}, []],
    [{ pdus: null }, []],
    [{ pdus: { $a: {}, $b: null, $c: { error: 7 } } }, []],
    [{ pdus: { $a: {}, $b: { error: 'denied' } } }, [{ eventId: '$b', error: 'denied' }]],
  ])('%j -> %j', (body, want) => {
    expect(pduErrors(body)).toEqual(want);
  });
});

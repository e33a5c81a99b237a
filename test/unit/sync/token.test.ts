import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../../server/core/errors.js';
import { formatStreamToken, parseStreamToken } from '../../../server/sync/token.js';

describe('sync tokens', () => {
  it.each([
    ['s0', 0],
    ['s1', 1],
    ['s12345', 12345],
  ])('%s reads as events position %i and formats back', (raw, events) => {
    expect(parseStreamToken(raw)).toEqual({
      events,
      account_data: 0,
      receipts: 0,
      typing: 0,
      to_device: 0,
      presence: 0,
      device_lists: 0,
    });
    expect(formatStreamToken(parseStreamToken(raw))).toBe(raw);
  });

  it('reads and formats every stream position', () => {
    const token = {
      events: 5,
      account_data: 2,
      receipts: 0,
      typing: 7,
      to_device: 0,
      presence: 0,
      device_lists: 0,
    };
    expect(parseStreamToken('s5_2_0_7')).toEqual(token);
    expect(formatStreamToken(token)).toBe('s5_2_0_7');
    expect(parseStreamToken('s5_2_0_7_3_9')).toEqual({ ...token, to_device: 3, presence: 9 });
    expect(formatStreamToken({ ...token, presence: 9 })).toBe('s5_2_0_7_0_9');
    expect(parseStreamToken('s5_2')).toEqual({ ...token, typing: 0 });
    expect(formatStreamToken({ events: 5, account_data: 2 })).toBe('s5_2');
    expect(parseStreamToken('s5_2_0_7_3_9_4')).toEqual({
      ...token,
      to_device: 3,
      presence: 9,
      device_lists: 4,
    });
    expect(formatStreamToken({ ...token, device_lists: 4 })).toBe('s5_2_0_7_0_0_4');
  });

  it.each([
    '',
    's',
    '12',
    'S12',
    's-1',
    's01',
    's1.5',
    's1_2_3_4_5_6_7_8',
    's1_02',
    's1_',
    't1-2',
    ' s1',
    's1 ',
    's99999999999999999',
    's1e5',
  ])('rejects %j with 400 M_INVALID_PARAM', (raw) => {
    let err: unknown;
    try {
      parseStreamToken(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MatrixError);
    expect((err as MatrixError).errcode).toBe('M_INVALID_PARAM');
    expect((err as MatrixError).status).toBe(400);
  });
});

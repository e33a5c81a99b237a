import { describe, expect, it } from 'vitest';
import { prettyLogLine } from '../../server/core/log-pretty.js';

describe('prettyLogLine', () => {
  it('gives time, level, message and the other fields', () => {
    const t = new Date(2026, 0, 2, 13, 4, 5).getTime();
    const line = JSON.stringify({
      level: 30,
      time: t,
      name: 'hearth',
      msg: 'listening',
      port: 8008,
      host: '::1',
    });
    expect(prettyLogLine(line)).toBe('13:04:05 INFO  listening port=8008 host=::1');
  });

  it('shows an error with its stack on the next lines', () => {
    const line = JSON.stringify({
      level: 50,
      time: 0,
      msg: 'request failed',
      err: { message: 'boom', stack: 'Error: boom\n    at x' },
    });
    expect(prettyLogLine(line)).toMatch(/ERROR request failed \n {2}Error: boom\n {4}at x$/);
  });

  it('passes a line that is not JSON through', () => {
    expect(prettyLogLine('not json')).toBe('not json');
  });
});

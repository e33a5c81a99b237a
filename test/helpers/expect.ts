import { expect } from 'vitest';

/** Asserts a Matrix error answer: its HTTP status and errcode, reported together on failure. */
export function expectError(
  r: { statusCode: number; json(): Record<string, unknown> },
  status: number,
  errcode: string,
): void {
  expect({ status: r.statusCode, errcode: r.json().errcode }).toEqual({ status, errcode });
}

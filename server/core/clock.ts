import { randomBytes } from 'node:crypto';

/** Wall-clock time in milliseconds since the epoch; injectable so tests can move time. */
export interface Clock {
  now(): number;
}

/** Randomness; injectable so tests can make it predictable. */
export interface Random {
  bytes(n: number): Buffer;
}

export const systemClock: Clock = { now: () => Date.now() };
export const systemRandom: Random = { bytes: (n) => randomBytes(n) };

const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random string of `length` ASCII letters (Synapse's device ids are 10 upper-case letters). */
export function randomString(random: Random, length: number, alphabet = ALPHA): string {
  const bytes = random.bytes(length);
  let out = '';
  // alphabet.length divides 256 unevenly; the bias for 52 or 26 symbols is negligible for ids.
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

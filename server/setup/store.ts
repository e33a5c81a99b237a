import type { Queryable } from '../db/sql.js';

/**
 * Read-only checks for the one-time setup guard: the server name may change only while
 * nothing carries the old one. They look at the accounts' and rooms' tables directly
 * because no domain offers a "does anything exist" question and setup asks it once.
 */

export async function hasAnyLocalUser(q: Queryable): Promise<boolean> {
  return (await q.get<{ one: number }>('SELECT 1 AS one FROM users LIMIT 1')) !== undefined;
}

export async function hasAnyRoom(q: Queryable): Promise<boolean> {
  return (await q.get<{ one: number }>('SELECT 1 AS one FROM rooms LIMIT 1')) !== undefined;
}

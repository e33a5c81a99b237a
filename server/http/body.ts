import type { IncomingMessage } from 'node:http';
import sjson from 'secure-json-parse';
import { MatrixError } from '../core/errors.js';

/** Largest JSON body accepted by default (routes may set their own limit). */
export const JSON_BODY_LIMIT = 2 * 1024 * 1024;

function tooLarge(): MatrixError {
  return new MatrixError('M_TOO_LARGE', 'Request body too large', 413);
}

/**
 * Reads a request body of at most `limit` bytes and parses it as JSON, whatever the
 * Content-Type says (as Synapse does). An empty body is `undefined`. JSON that would
 * poison prototypes (`__proto__`, `constructor.prototype`) is refused like any bad JSON.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks, size).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return sjson.parse(text, null, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw new MatrixError('M_NOT_JSON', 'Content not JSON', 400);
  }
}

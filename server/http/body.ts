import type { IncomingMessage } from 'node:http';
import sjson from 'secure-json-parse';
import { MatrixError } from '../core/errors.js';

/** Largest JSON body accepted by default (routes may set their own limit). */
export const JSON_BODY_LIMIT = 2 * 1024 * 1024;

function tooLarge(): MatrixError {
  return new MatrixError('M_TOO_LARGE', 'Request body too large', 413);
}

/**
 * The body's chunks, through the stream's events rather than an async iterator (which
 * cost about 2% of a message send in promises and closures). Past `limit` the read fails
 * with M_TOO_LARGE at once; the rest of the body flows by unread while the 413 is sent
 * (with Connection: close, http-app.ts). A request that ends early fails the read too.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
): Promise<{ chunks: Buffer[]; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: Error | null) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', done);
      req.off('close', onClose);
      if (err) reject(err);
      else resolve({ chunks, size });
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return done(tooLarge());
      chunks.push(chunk);
    };
    const onEnd = () => done(null);
    const onClose = () => done(new Error('the request closed before its body ended'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', done);
    req.on('close', onClose);
  });
}

/**
 * Reads a request body of at most `limit` bytes and parses it as JSON, whatever the
 * Content-Type says (as Synapse does). An empty body is `undefined`. JSON that would
 * poison prototypes (`__proto__`, `constructor.prototype`) is refused like any bad JSON.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge();
  const { chunks, size } = await readBody(req, limit);
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks, size).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return sjson.parse(text, null, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw new MatrixError('M_NOT_JSON', 'Content not JSON', 400);
  }
}

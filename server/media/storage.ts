import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import type { Ctx } from '../context.js';
import { randomString } from '../core/clock.js';
import { errors } from '../core/errors.js';

/**
 * The content files of the media store, under media_store_path:
 *
 *   content/ab/cd/<sha256>   one file per distinct content (deduplicated by hash)
 *   tmp/<random>             an upload being received; renamed into content/ once complete
 *
 * A file under content/ is always whole: it appears by a rename of a complete temp file
 * (atomic on one file system, which is why tmp/ sits beside content/), so an upload cut
 * off half-way leaves nothing but a temp file, and that is removed as the upload fails.
 */

/** Absolute path of the content file for `sha256`. */
export function contentPath(ctx: Ctx, sha256: string): string {
  return join(ctx.config.mediaStorePath, 'content', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
}

/** A complete upload waiting in tmp/ to be committed (or discarded). */
export interface ReceivedContent {
  tempPath: string;
  length: number;
  sha256: string;
}

/**
 * Streams `stream` into a temp file while hashing it, at most `maxBytes` (more: the temp
 * file is removed and M_TOO_LARGE thrown, without reading the rest). Any failure (the
 * client going away included) removes the temp file and rethrows.
 */
export async function receiveContent(
  ctx: Ctx,
  stream: Readable,
  maxBytes: number,
): Promise<ReceivedContent> {
  const tmpDir = join(ctx.config.mediaStorePath, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  const now = ctx.clock.now();
  removeStaleTempFiles(tmpDir, now);
  const tempPath = join(tmpDir, `${now}-${randomString(ctx.random, 16)}`);
  const hash = createHash('sha256');
  let length = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      length += chunk.length;
      if (length > maxBytes) {
        done(errors.tooLarge(`Upload is larger than the limit of ${maxBytes} bytes`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const file = createWriteStream(tempPath, { flags: 'wx' });
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        // Not pipeline(): it would destroy the request, and with it the socket the 413
        // answer must go out on. Unpiped, the request is paused and the HTTP layer answers.
        stream.unpipe(count);
        // The temp file is removed once closed: its open may still be under way.
        file.destroy();
        if (file.closed) reject(err);
        else file.once('close', () => reject(err));
      };
      count.on('error', fail);
      file.on('error', fail);
      stream.on('error', fail);
      stream.on('close', () => {
        if (!stream.readableEnded) fail(errors.unknown('The upload was cut off'));
      });
      file.on('close', () => {
        if (settled) return;
        settled = true;
        resolve();
      });
      stream.pipe(count).pipe(file);
    });
  } catch (err) {
    rmSync(tempPath, { force: true });
    throw err;
  }
  return { tempPath, length, sha256: hash.digest('hex') };
}

/**
 * Moves received content into its place under content/. Synchronous on purpose: it runs
 * inside the writer unit that adds the row using it, so that it cannot interleave with a
 * deletion that removes the same hash's file (docs/media.md, "Files and rows"). A file of
 * that hash already there has the same bytes: renaming over it keeps one file.
 */
export function commitContent(ctx: Ctx, received: ReceivedContent): string {
  const dest = contentPath(ctx, received.sha256);
  mkdirSync(join(dest, '..'), { recursive: true });
  renameSync(received.tempPath, dest);
  return dest;
}

/** Temp files older than this are left over from a crash mid-upload (no upload lasts a day). */
const STALE_TEMP_MS = 86_400_000;

/**
 * Removes temp files that a crash (not a failure: those clean up after themselves) left in
 * tmp/. Their names begin with their creation time; tmp/ holds only uploads in flight, so
 * listing it on each upload is cheap.
 */
function removeStaleTempFiles(tmpDir: string, now: number): void {
  for (const name of readdirSync(tmpDir)) {
    const created = Number(name.split('-')[0]);
    if (Number.isFinite(created) && created < now - STALE_TEMP_MS) {
      rmSync(join(tmpDir, name), { force: true });
    }
  }
}

/** Removes a temp file of content that was not committed (quota refused it, say). */
export function discardContent(received: ReceivedContent): void {
  rmSync(received.tempPath, { force: true });
}

/** Removes the content file of `sha256` (inside the writer unit that found it unused). */
export function removeContentFile(ctx: Ctx, sha256: string): void {
  try {
    unlinkSync(contentPath(ctx, sha256));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

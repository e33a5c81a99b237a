import { Readable } from 'node:stream';
import type { Ctx } from '../../context.js';
import { MatrixError } from '../../core/errors.js';
import { FederationTransportError, type FederationResponse } from '../../federation/types.js';
import { upsertRemoteMedia } from '../store.js';
import { commitContent, discardContent, receiveContent } from '../storage.js';
import { fetchLocation } from './location.js';
import { MalformedMultipartError, multipartBoundary, parseMultipart } from './multipart.js';

/** What the origin sent: the bytes and what describes them. */
interface FetchedMedia {
  bytes: Buffer;
  contentType: string | null;
  uploadName: string | null;
}

/** How long the origin gets for the whole answer (Synapse waits as long for media). */
const FETCH_TIMEOUT_MS = 60_000;
/** Room for the multipart framing around content of max_upload_size. */
const FRAMING_BYTES = 64 * 1024;

/**
 * Fetches `mxc://origin/mediaId` from its origin and keeps it in the remote media cache:
 * GET /_matrix/federation/v1/media/download (signed), or, when the origin does not know that
 * endpoint (404 M_UNRECOGNIZED), the legacy /_matrix/media/v3/download with
 * allow_remote=false. The content is written to the store (at most max_upload_size) and the
 * row added in one writer unit; any failure keeps nothing.
 * Throws 404 M_NOT_FOUND (the origin has no such media), 504 M_NOT_YET_UPLOADED (passed on),
 * 502 M_TOO_LARGE, 502 M_UNKNOWN (unreachable, 5xx, malformed answer), 504 M_UNKNOWN (timeout).
 */
export async function fetchRemoteMedia(
  ctx: Ctx,
  a: { origin: string; mediaId: string; timeoutMs: number },
): Promise<void> {
  const fetched = await fetchFromOrigin(ctx, a);
  const received = await receiveContent(
    ctx,
    Readable.from([fetched.bytes]),
    ctx.config.maxUploadSize,
  ).catch((err: unknown) => {
    throw err instanceof MatrixError && err.errcode === 'M_TOO_LARGE' ? tooLarge(ctx) : err;
  });
  try {
    await ctx.writer.transaction('media.cache_remote', async (tx) => {
      commitContent(ctx, received);
      await upsertRemoteMedia(tx, {
        origin: a.origin,
        mediaId: a.mediaId,
        contentType: fetched.contentType,
        uploadName: fetched.uploadName,
        length: received.length,
        sha256: received.sha256,
        ts: ctx.clock.now(),
        // Fetched for the authenticated endpoints: never served by the legacy ones while
        // enable_authenticated_media is on (as Synapse marks it).
        authenticated: ctx.config.enableAuthenticatedMedia,
      });
    });
  } finally {
    discardContent(received); // gone already once committed (renamed); else the leftover
  }
}

async function fetchFromOrigin(
  ctx: Ctx,
  a: { origin: string; mediaId: string; timeoutMs: number },
): Promise<FetchedMedia> {
  const maxBytes = ctx.config.maxUploadSize + FRAMING_BYTES;
  const id = encodeURIComponent(a.mediaId);
  const res = await ask(ctx, a.origin, {
    path: `/_matrix/federation/v1/media/download/${id}?timeout_ms=${a.timeoutMs}`,
    unsigned: false,
    maxBytes,
  });
  if (res.status === 404 && errcodeOf(res) === 'M_UNRECOGNIZED') {
    // An origin older than spec v1.11: the deprecated endpoint, which needs no signature.
    const legacy = await ask(ctx, a.origin, {
      path:
        `/_matrix/media/v3/download/${encodeURIComponent(a.origin)}/${id}` +
        `?allow_remote=false&timeout_ms=${a.timeoutMs}`,
      unsigned: true,
      maxBytes,
    });
    checkStatus(ctx, a.origin, legacy);
    return {
      bytes: legacy.rawBody ?? Buffer.alloc(0),
      contentType: headerContentType(header(legacy.headers['content-type'])),
      uploadName: dispositionFileName(header(legacy.headers['content-disposition'])),
    };
  }
  checkStatus(ctx, a.origin, res);
  return fromMultipart(ctx, a.origin, res, maxBytes);
}

async function ask(
  ctx: Ctx,
  origin: string,
  r: { path: string; unsigned: boolean; maxBytes: number },
): Promise<FederationResponse> {
  try {
    return await ctx.federation.request(origin, {
      method: 'GET',
      path: r.path,
      raw: true,
      unsigned: r.unsigned,
      maxBytes: r.maxBytes,
      timeoutMs: FETCH_TIMEOUT_MS,
    });
  } catch (err) {
    throw transportError(ctx, origin, err);
  }
}

function transportError(ctx: Ctx, origin: string, err: unknown): MatrixError {
  ctx.log.warn({ origin, err: (err as Error).message }, 'remote media fetch failed');
  if (err instanceof FederationTransportError) {
    if (err.reason === 'too_large') return tooLarge(ctx);
    if (err.reason === 'timeout') {
      return new MatrixError('M_UNKNOWN', 'Timed out fetching remote media', 504);
    }
  }
  return failed();
}

/** The origin's answer status as this server's: 404 and "not yet uploaded" pass on. */
function checkStatus(ctx: Ctx, origin: string, res: FederationResponse): void {
  if (res.status === 200) return;
  const errcode = errcodeOf(res);
  if (res.status === 404) throw new MatrixError('M_NOT_FOUND', 'Media not found', 404);
  if (res.status === 504 && errcode === 'M_NOT_YET_UPLOADED') {
    throw new MatrixError('M_NOT_YET_UPLOADED', 'Media has not been uploaded yet', 504);
  }
  if (errcode === 'M_TOO_LARGE') throw tooLarge(ctx);
  ctx.log.warn({ origin, status: res.status, errcode }, 'remote media: origin refused');
  throw failed();
}

async function fromMultipart(
  ctx: Ctx,
  origin: string,
  res: FederationResponse,
  maxBytes: number,
): Promise<FetchedMedia> {
  const boundary = multipartBoundary(header(res.headers['content-type']));
  let content;
  try {
    if (!boundary) throw new MalformedMultipartError('not multipart/mixed with a boundary');
    const parts = parseMultipart(res.rawBody ?? Buffer.alloc(0), boundary);
    if (parts.length !== 2) throw new MalformedMultipartError(`${parts.length} parts, not 2`);
    if (!/^application\/json\b/i.test(parts[0]!.headers['content-type'] ?? '')) {
      throw new MalformedMultipartError('the first part is not JSON');
    }
    content = parts[1]!;
  } catch (err) {
    ctx.log.warn({ origin, err: (err as Error).message }, 'remote media: malformed answer');
    throw failed();
  }
  const location = content.headers.location;
  if (location === undefined) {
    return {
      bytes: content.bytes,
      contentType: headerContentType(content.headers['content-type']),
      uploadName: dispositionFileName(content.headers['content-disposition']),
    };
  }
  // Not cached as a URL (the spec: it may expire); the content it names is what is kept.
  let answer;
  try {
    answer = await fetchLocation(ctx, location, { timeoutMs: FETCH_TIMEOUT_MS, maxBytes });
  } catch (err) {
    const e = err as { kind?: string };
    if (e.kind === 'too_large') throw tooLarge(ctx);
    ctx.log.warn({ origin, err: (err as Error).message }, 'remote media: Location failed');
    if (e.kind === 'timeout')
      throw new MatrixError('M_UNKNOWN', 'Timed out fetching remote media', 504);
    throw failed();
  }
  if (answer.status !== 200) throw failed();
  return {
    bytes: answer.body,
    contentType: headerContentType(header(answer.headers['content-type'])),
    uploadName: dispositionFileName(header(answer.headers['content-disposition'])),
  };
}

function errcodeOf(res: FederationResponse): string | undefined {
  try {
    const body = JSON.parse((res.rawBody ?? Buffer.alloc(0)).toString('utf8')) as unknown;
    const code = (body as { errcode?: unknown } | null)?.errcode;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** A content type as stored: printable, bounded; anything else is no type at all. */
function headerContentType(v: string | undefined): string | null {
  const t = v?.trim();
  return t && t.length <= 255 && /^[\x21-\x7e][\x20-\x7e]*$/.test(t) ? t : null;
}

/** The file name of a Content-Disposition (`filename*=utf-8''...` first, then `filename=`). */
export function dispositionFileName(v: string | undefined): string | null {
  if (!v) return null;
  let name: string | null = null;
  const star = /filename\*\s*=\s*utf-8''([^;\s]+)/i.exec(v);
  if (star) {
    try {
      name = decodeURIComponent(star[1]!);
    } catch {
      name = null;
    }
  }
  if (name === null) {
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(v);
    name = plain ? (plain[1]?.replace(/\\(.)/g, '$1') ?? plain[2] ?? null) : null;
  }
  // eslint-disable-next-line no-control-regex
  if (name === null || name.length > 255 || /[\x00-\x1f\x7f]/.test(name)) return null;
  return name;
}

function failed(): MatrixError {
  return new MatrixError('M_UNKNOWN', 'Failed to fetch remote media', 502);
}

function tooLarge(ctx: Ctx): MatrixError {
  return new MatrixError(
    'M_TOO_LARGE',
    `Remote media is larger than the limit of ${ctx.config.maxUploadSize} bytes`,
    502,
  );
}

import type { Ctx } from '../../context.js';
import { MatrixError } from '../../core/errors.js';
import { assertFetchable, openUrl, PreviewFetchError, type OpenOptions } from './fetch.js';
import { parseHtmlPreview } from './html.js';
import { openDataUrl, storePreviewImage } from './image.js';
import { oembedRequestUrl, ogFromOEmbed } from './oembed.js';
import { previewNet } from './preview-net.js';
import { getUrlPreviewAt, insertUrlPreview, deleteExpiredUrlPreviews } from './store.js';

/** A preview answer: OpenGraph keys, plus matrix:image:size (spec: GET /preview_url). */
export type Preview = Record<string, string | number>;

/** How long a preview is served from the cache (Synapse: one hour). */
export const PREVIEW_LIFETIME_MS = 3_600_000;
/** How long a failure is: a URL that failed is not fetched again at once. */
export const FAILURE_LIFETIME_MS = 60_000;
/** Expired previews stay this long for requests whose `ts` lies in the past. */
const HISTORY_MS = 86_400_000;
const OEMBED_MAX_BYTES = 1024 * 1024;
const USER_AGENT = 'Hearth (bot; URL preview)';

// Previews being made right now, per server and URL: concurrent requests for one URL share
// one fetch (keyed by the server's context, dropped with it).
const inFlight = new WeakMap<Ctx, Map<string, Promise<Preview>>>();

/**
 * The preview of `url` as of `ts` (default now): from the cache when a preview fetched at
 * or before `ts` was still valid then (or one valid now, the spec allowing a newer
 * version), else fetched now, stored, and cached with its failure if it fails.
 * Throws M_UNRECOGNIZED 404 when previews are off (Synapse does not route them then),
 * M_INVALID_PARAM for a URL that is not http(s), M_FORBIDDEN for url_preview_url_blacklist
 * and blocked addresses, 502/504 for what the remote side did.
 */
export async function previewUrl(
  ctx: Ctx,
  a: { url: string; ts: number | null },
): Promise<Preview> {
  if (!ctx.config.urlPreview.enabled)
    throw new MatrixError('M_UNRECOGNIZED', 'Unrecognized request', 404);
  let url: URL;
  try {
    url = new URL(a.url);
  } catch {
    throw new MatrixError('M_INVALID_PARAM', 'url: not an absolute URL', 400);
  }
  try {
    assertFetchable(url, ctx.config.urlPreview.urlBlacklist);
  } catch (err) {
    throw toMatrixError(err);
  }
  const now = ctx.clock.now();
  const ts = a.ts === null ? now : Math.min(a.ts, now);
  const cached =
    (await getUrlPreviewAt(ctx.db, url.href, ts)) ??
    (ts < now ? await getUrlPreviewAt(ctx.db, url.href, now) : undefined);
  if (cached) {
    if (cached.og_json !== null) return JSON.parse(cached.og_json) as Preview;
    throw new MatrixError(
      cached.error_errcode ?? 'M_UNKNOWN',
      cached.error_message ?? 'Preview failed',
      cached.error_status ?? 502,
    );
  }
  let running = inFlight.get(ctx);
  if (!running) inFlight.set(ctx, (running = new Map()));
  let pending = running.get(url.href);
  if (!pending) {
    pending = makeAndStore(ctx, url).finally(() => running.delete(url.href));
    running.set(url.href, pending);
  }
  return pending;
}

/** Makes the preview and records it (or its failure) in one writer unit. */
async function makeAndStore(ctx: Ctx, url: URL): Promise<Preview> {
  const fetchedTs = ctx.clock.now();
  let og: Preview | null = null;
  let mediaId: string | null = null;
  let failure: MatrixError | null = null;
  try {
    ({ og, mediaId } = await makePreview(ctx, url));
  } catch (err) {
    if (!(err instanceof PreviewFetchError)) throw err;
    failure = toMatrixError(err);
    ctx.log.info({ url: url.href, reason: err.kind, error: err.message }, 'URL preview failed');
  }
  const body = failure?.body as { errcode: string; error: string } | undefined;
  await ctx.writer.transaction('storeUrlPreview', async (tx) => {
    await insertUrlPreview(tx, {
      url: url.href,
      fetchedTs,
      expiresTs: fetchedTs + (failure ? FAILURE_LIFETIME_MS : PREVIEW_LIFETIME_MS),
      og,
      error:
        failure && body
          ? { status: failure.status, errcode: body.errcode, message: body.error }
          : null,
      mediaId,
    });
    await deleteExpiredUrlPreviews(tx, fetchedTs - HISTORY_MS);
  });
  if (failure) throw failure;
  return og!;
}

/** Fetches `url` and builds its preview: oEmbed, an image, an HTML page, or nothing. */
async function makePreview(ctx: Ctx, url: URL): Promise<{ og: Preview; mediaId: string | null }> {
  const cfg = ctx.config.urlPreview;
  const net = previewNet(ctx);
  const opts: OpenOptions = {
    blacklist: cfg.urlBlacklist,
    deadline: Date.now() + net.timeoutMs,
    maxBytes: cfg.maxSpiderSize,
    headers: {
      'User-Agent': USER_AGENT,
      Accept: 'text/html,application/xhtml+xml;q=0.9,image/*;q=0.8,*/*;q=0.5',
      'Accept-Language': cfg.acceptLanguage,
    },
  };
  const oembedApi = oembedRequestUrl(cfg.oembedEndpoints, url);
  if (oembedApi) {
    const og = await fetchOEmbed(ctx, oembedApi, url, opts);
    if (og) return withImage(ctx, og, opts);
  }
  const opened = await openUrl(net, url, opts);
  const type = (opened.headers['content-type'] ?? '').toLowerCase();
  const mediaType = type.split(';')[0]!.trim();
  if (mediaType.startsWith('image/')) {
    const image = await storePreviewImage(ctx, opened, {
      contentType: mediaType,
      maxBytes: cfg.maxSpiderSize,
    });
    return { og: image ? { ...image } : {}, mediaId: image ? mediaIdOf(image['og:image']) : null };
  }
  if (mediaType === 'text/html' || mediaType === 'application/xhtml+xml') {
    const html = await parseHtmlPreview(opened.body, {
      pageUrl: opened.url,
      contentType: type,
      close: opened.close,
      truncateAtLimit: opened.truncateAtLimit,
    });
    let og: Preview = html.og;
    if (html.oembedUrl) {
      const fromOEmbed = await fetchOEmbed(ctx, new URL(html.oembedUrl), url, opts);
      if (fromOEmbed) og = { ...og, ...fromOEmbed };
    }
    return withImage(ctx, og, opts);
  }
  // Anything else (PDF, JSON, video...) has nothing to show: an empty preview, the rest unread.
  opened.close();
  return { og: {}, mediaId: null };
}

/** An oEmbed answer as OpenGraph, or null (logged) when the provider fails. */
async function fetchOEmbed(
  ctx: Ctx,
  api: URL,
  url: URL,
  opts: OpenOptions,
): Promise<Preview | null> {
  try {
    const opened = await openUrl(previewNet(ctx), api, {
      ...opts,
      maxBytes: Math.min(opts.maxBytes, OEMBED_MAX_BYTES),
    });
    const chunks: Buffer[] = [];
    try {
      for await (const c of opened.body as AsyncIterable<Buffer>) chunks.push(c);
    } finally {
      opened.close();
    }
    const og = ogFromOEmbed(JSON.parse(Buffer.concat(chunks).toString('utf8')), url);
    if (!og) ctx.log.info({ api: api.href }, 'URL preview: not an oEmbed 1.0 answer');
    return og;
  } catch (err) {
    ctx.log.info(
      { api: api.href, err: (err as Error).message },
      'URL preview: oEmbed failed, using the page',
    );
    return null;
  }
}

/**
 * Replaces the page's og:image (a URL) by the image stored as local media, fetched through
 * the same guard and limits; without a stored image the og:image keys are left out.
 */
async function withImage(
  ctx: Ctx,
  og: Preview,
  opts: OpenOptions,
): Promise<{ og: Preview; mediaId: string | null }> {
  const ref = og['og:image'];
  for (const k of Object.keys(og)) if (k.startsWith('og:image')) delete og[k];
  if (typeof ref !== 'string') return { og, mediaId: null };
  const image = await fetchImage(ctx, ref, opts);
  if (!image) return { og, mediaId: null };
  return { og: { ...og, ...image }, mediaId: mediaIdOf(image['og:image']) };
}

async function fetchImage(ctx: Ctx, ref: string, opts: OpenOptions) {
  const maxBytes = ctx.config.urlPreview.maxSpiderSize;
  try {
    const url = new URL(ref);
    if (url.protocol === 'data:') {
      const data = openDataUrl(url, maxBytes);
      if (!data?.contentType.startsWith('image/')) return null;
      return await storePreviewImage(ctx, data, { contentType: data.contentType, maxBytes });
    }
    const opened = await openUrl(previewNet(ctx), url, opts);
    const type = (opened.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!type.startsWith('image/')) {
      opened.close();
      ctx.log.info({ url: ref, type }, 'URL preview: og:image is not an image');
      return null;
    }
    return await storePreviewImage(ctx, opened, { contentType: type, maxBytes });
  } catch (err) {
    ctx.log.info({ url: ref, err: (err as Error).message }, 'URL preview: og:image not fetched');
    return null;
  }
}

function mediaIdOf(mxc: string): string {
  return mxc.slice(mxc.lastIndexOf('/') + 1);
}

/** The answer a client gets for a failed fetch (Synapse's statuses where it has them). */
export function toMatrixError(err: unknown): MatrixError {
  if (!(err instanceof PreviewFetchError)) throw err;
  switch (err.kind) {
    case 'bad_scheme':
      return new MatrixError('M_INVALID_PARAM', err.message, 400);
    case 'blacklisted':
      return new MatrixError('M_FORBIDDEN', err.message, 403);
    case 'blocked_address':
      return new MatrixError(
        'M_FORBIDDEN',
        'URL preview of this address is not allowed (url_preview_ip_range_blacklist)',
        403,
      );
    case 'too_large':
      return new MatrixError('M_TOO_LARGE', err.message, 502);
    case 'timeout':
      return new MatrixError('M_UNKNOWN', err.message, 504);
    default:
      return new MatrixError('M_UNKNOWN', err.message, 502);
  }
}

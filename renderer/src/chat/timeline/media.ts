import { useEffect, useState } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';
import { decryptAttachment, type EncryptedFile } from './attachment-crypto';

/**
 * Media for the timeline. The server serves media only with an access token
 * (authenticated media, spec 1.11), and an <img> cannot send headers, so media is fetched
 * with the token and shown from a blob: URL (the page's CSP allows blob: images).
 * Encrypted attachments are downloaded, checked and decrypted here the same way.
 */

export interface MediaSource {
  /** mxc:// of plain media. */
  mxc?: string;
  /** The EncryptedFile of an attachment in an encrypted room. */
  file?: EncryptedFile;
  mimetype?: string;
}

export interface ThumbSize {
  width: number;
  height: number;
}

export function parseMxc(mxc: string): { server: string; mediaId: string } | null {
  const m = /^mxc:\/\/([^/]+)\/([^/?#]+)$/.exec(mxc);
  return m ? { server: m[1]!, mediaId: m[2]! } : null;
}

// Types a decrypted file may be shown as; anything else stays a download (an SVG or HTML
// "image" in a blob: URL is never rendered).
const SAFE_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export function safeMimetype(m: string | undefined): string {
  return m && SAFE_IMAGE_TYPES.has(m) ? m : 'application/octet-stream';
}

async function authedFetch(client: MatrixClient, path: string): Promise<Response> {
  const res = await fetch(`${client.getHomeserverUrl()}${path}`, {
    headers: { Authorization: `Bearer ${client.getAccessToken() ?? ''}` },
  });
  if (!res.ok) throw new Error(`the server answered ${res.status}`);
  return res;
}

/** The media's bytes as a Blob: a thumbnail when `thumb` is given (plain media only). */
export async function fetchMedia(
  client: MatrixClient,
  src: MediaSource,
  thumb?: ThumbSize,
): Promise<Blob> {
  const mxc = src.file?.url ?? src.mxc;
  const parts = mxc ? parseMxc(mxc) : null;
  if (!parts) throw new Error('not a media address');
  const at = `${encodeURIComponent(parts.server)}/${encodeURIComponent(parts.mediaId)}`;
  if (src.file) {
    const res = await authedFetch(client, `/_matrix/client/v1/media/download/${at}`);
    const plain = await decryptAttachment(await res.arrayBuffer(), src.file);
    return new Blob([plain], { type: src.mimetype ?? 'application/octet-stream' });
  }
  const path = thumb
    ? `/_matrix/client/v1/media/thumbnail/${at}?width=${thumb.width}&height=${thumb.height}&method=scale`
    : `/_matrix/client/v1/media/download/${at}`;
  const res = await authedFetch(client, path);
  return res.blob();
}

// One blob: URL per media and size for the session, shared by every tile that shows it.
const urlCache = new Map<string, Promise<string>>();

export function mediaUrl(
  client: MatrixClient,
  src: MediaSource,
  thumb?: ThumbSize,
): Promise<string> {
  const key = `${src.file?.url ?? src.mxc ?? ''}|${thumb ? `${thumb.width}x${thumb.height}` : 'full'}`;
  let p = urlCache.get(key);
  if (!p) {
    p = fetchMedia(client, src, thumb).then((blob) => {
      const typed = src.file ? new Blob([blob], { type: safeMimetype(src.mimetype) }) : blob;
      return URL.createObjectURL(typed);
    });
    // A failure is not cached: the next render may try again.
    p.catch(() => urlCache.delete(key));
    urlCache.set(key, p);
  }
  return p;
}

export type MediaState =
  { status: 'loading' } | { status: 'ready'; url: string } | { status: 'error'; message: string };

/** A blob: URL for media, loading on first use. `src` null shows nothing. */
export function useMediaUrl(
  client: MatrixClient,
  src: MediaSource | null,
  thumb?: ThumbSize,
): MediaState {
  const [state, setState] = useState<MediaState>({ status: 'loading' });
  const key = src
    ? `${src.file?.url ?? src.mxc ?? ''}|${thumb?.width ?? 0}x${thumb?.height ?? 0}`
    : '';
  useEffect(() => {
    if (!src) return;
    let live = true;
    setState({ status: 'loading' });
    mediaUrl(client, src, thumb).then(
      (url) => live && setState({ status: 'ready', url }),
      (e: unknown) =>
        live && setState({ status: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      live = false;
    };
    // The key names the media: src and thumb objects are new on every render.
  }, [client, key]);
  return state;
}

/** Saves media as a file with its name (the browser's download). */
export async function downloadMedia(
  client: MatrixClient,
  src: MediaSource,
  name: string,
): Promise<void> {
  const blob = await fetchMedia(client, src);
  const url = URL.createObjectURL(new Blob([blob], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name || 'file';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

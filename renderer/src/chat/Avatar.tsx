import { useEffect, useState } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';

const cache = new Map<string, Promise<string | null>>();

/**
 * A thumbnail of an mxc:// image as a blob: URL. Media is authenticated (spec v1.11
 * /_matrix/client/v1/media), so an <img> cannot load it directly: it is fetched with the
 * access token once and shared by every avatar showing it.
 */
export function useMxcThumbnail(
  client: MatrixClient,
  mxc: string | null | undefined,
  size: number,
) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!mxc) {
      setUrl(null);
      return;
    }
    const http = client.mxcUrlToHttp(mxc, size, size, 'crop', false, true, true);
    if (!http) return;
    let p = cache.get(http);
    if (!p) {
      p = fetch(http, { headers: { Authorization: `Bearer ${client.getAccessToken() ?? ''}` } })
        .then((r) => (r.ok ? r.blob() : null))
        .then((b) => (b ? URL.createObjectURL(b) : null))
        .catch(() => null);
      cache.set(http, p);
    }
    let live = true;
    void p.then((u) => live && setUrl(u));
    return () => {
      live = false;
    };
  }, [client, mxc, size]);
  return url;
}

function hue(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) % 360;
  return h;
}

/** A round picture, or the name's first letter on a colour chosen from the id. Decorative. */
export function Avatar(props: {
  client: MatrixClient;
  mxc?: string | null;
  name: string;
  id: string;
  size?: number;
}) {
  const size = props.size ?? 36;
  const url = useMxcThumbnail(props.client, props.mxc, size * 2);
  const letter = (props.name.replace(/^[@#!]/, '')[0] ?? '?').toUpperCase();
  return (
    <span
      className="chat-avatar"
      aria-hidden="true"
      style={{
        width: size,
        height: size,
        fontSize: size * 0.45,
        ['--chat-avatar-hue' as string]: hue(props.id),
      }}
    >
      {url ? <img src={url} alt="" width={size} height={size} /> : letter}
    </span>
  );
}

import { useEffect, useState } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';
import { useMediaUrl } from './media';

interface Preview {
  'og:title'?: string;
  'og:description'?: string;
  'og:image'?: string;
  'og:site_name'?: string;
}

// Previews are off on many servers (404 M_UNRECOGNIZED): once seen, no more requests.
let disabled = false;
const cache = new Map<string, Promise<Preview | null>>();

function loadPreview(client: MatrixClient, url: string, ts: number): Promise<Preview | null> {
  let p = cache.get(url);
  if (!p) {
    const q = new URLSearchParams({ url, ts: String(ts) });
    p = fetch(`${client.getHomeserverUrl()}/_matrix/client/v1/media/preview_url?${q}`, {
      headers: { Authorization: `Bearer ${client.getAccessToken() ?? ''}` },
    }).then(
      async (res) => {
        if (res.status === 404) {
          const body = (await res.json().catch(() => ({}))) as { errcode?: string };
          if (body.errcode === 'M_UNRECOGNIZED') disabled = true;
          return null;
        }
        if (!res.ok) return null;
        return (await res.json()) as Preview;
      },
      () => null,
    );
    cache.set(url, p);
  }
  return p;
}

/**
 * A card under a message with a link: the page's title, description and image, from the
 * server's preview (GET /_matrix/client/v1/media/preview_url). Nothing when the server has
 * previews off or the page has nothing to show.
 */
export function LinkPreview(props: { client: MatrixClient; url: string; ts: number }) {
  const [preview, setPreview] = useState<Preview | null>(null);
  useEffect(() => {
    if (disabled) return;
    let live = true;
    void loadPreview(props.client, props.url, props.ts).then((p) => live && setPreview(p));
    return () => {
      live = false;
    };
  }, [props.client, props.url, props.ts]);
  const image = preview?.['og:image'];
  const media = useMediaUrl(props.client, image?.startsWith('mxc://') ? { mxc: image } : null, {
    width: 96,
    height: 96,
  });
  const title = preview?.['og:title'];
  const description = preview?.['og:description'];
  if (!preview || (!title && !description)) return null;
  return (
    <aside className="tl-preview" aria-label={`Link preview: ${title ?? props.url}`}>
      {media.status === 'ready' && <img className="tl-preview-image" src={media.url} alt="" />}
      <div className="tl-preview-text">
        {preview['og:site_name'] && (
          <span className="tl-preview-site">{preview['og:site_name']}</span>
        )}
        {title && (
          <a
            className="tl-preview-title"
            href={props.url}
            target="_blank"
            rel="noopener noreferrer nofollow"
          >
            {title}
          </a>
        )}
        {description && <span className="tl-preview-description">{description}</span>}
      </div>
    </aside>
  );
}

import { useMemo, useState } from 'react';
import type { MatrixClient, MatrixEvent } from 'matrix-js-sdk';
import { DecryptionFailure } from '../crypto/DecryptionFailure';
import type { EncryptedFile } from './attachment-crypto';
import { downloadMedia, useMediaUrl, type MediaSource } from './media';
import { firstUrl, replyToId, stripReplyFallback } from './message-content';
import { sanitizeMessageHtml } from './sanitize';
import { LinkPreview } from './LinkPreview';
import { Icon } from './icons';
import { ImageViewer } from './ImageViewer';

/** What a message says: text (formatted or plain), an image, a file; or why not. */
export function MessageBody(props: {
  client: MatrixClient;
  event: MatrixEvent;
  previews: boolean;
}) {
  const { event } = props;
  if (event.isRedacted()) return <p className="tl-body tl-body-deleted">Message deleted</p>;
  if (event.isDecryptionFailure()) {
    return (
      <div className="tl-body tl-body-failure">
        <DecryptionFailure event={event} />
      </div>
    );
  }
  if (event.getType() === 'm.room.encrypted')
    return <p className="tl-body tl-body-muted">Decrypting…</p>;
  const c = event.getContent();
  const edited = event.replacingEvent() !== null;
  const mark = edited ? <span className="tl-edited"> (edited)</span> : null;
  if (event.getType() === 'm.sticker' || c.msgtype === 'm.image') {
    return (
      <div className="tl-body">
        <ImageBody client={props.client} event={event} />
        {mark}
      </div>
    );
  }
  if (c.msgtype === 'm.file' || c.msgtype === 'm.video' || c.msgtype === 'm.audio') {
    return (
      <div className="tl-body">
        <FileBody client={props.client} event={event} />
        {mark}
      </div>
    );
  }
  const body = typeof c.body === 'string' ? c.body : '';
  const plain = replyToId(event) ? stripReplyFallback(body) : body;
  const url = props.previews ? firstUrl(plain) : null;
  const emote =
    c.msgtype === 'm.emote' ? `* ${event.sender?.name ?? event.getSender() ?? ''} ` : null;
  return (
    <div className={`tl-body${c.msgtype === 'm.notice' ? ' tl-body-notice' : ''}`}>
      <TextBody content={c} plain={plain} emote={emote} />
      {mark}
      {url && <LinkPreview client={props.client} url={url} ts={event.getTs()} />}
    </div>
  );
}

function TextBody(props: {
  content: Record<string, unknown>;
  plain: string;
  emote: string | null;
}) {
  const { content } = props;
  const html = useMemo(
    () =>
      content.format === 'org.matrix.custom.html' && typeof content.formatted_body === 'string'
        ? sanitizeMessageHtml(content.formatted_body)
        : null,
    [content.format, content.formatted_body],
  );
  if (html !== null) {
    return (
      <div className="tl-text tl-html">
        {props.emote && <span>{props.emote}</span>}
        {/* Sanitized to the spec's allowed tags (sanitize.ts). */}
        <span dangerouslySetInnerHTML={{ __html: html }} />
      </div>
    );
  }
  return (
    <div className="tl-text tl-plain">
      {props.emote}
      <Linkified text={props.plain} />
    </div>
  );
}

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]]/gi;

/** Plain text with its web addresses as links. */
export function Linkified(props: { text: string }) {
  const parts: (string | { url: string })[] = [];
  let last = 0;
  for (const m of props.text.matchAll(URL_RE)) {
    parts.push(props.text.slice(last, m.index));
    parts.push({ url: m[0] });
    last = m.index + m[0].length;
  }
  parts.push(props.text.slice(last));
  return (
    <>
      {parts.map((p, i) =>
        typeof p === 'string' ? (
          p
        ) : (
          <a key={i} href={p.url} target="_blank" rel="noopener noreferrer nofollow">
            {p.url}
          </a>
        ),
      )}
    </>
  );
}

interface ImageInfo {
  w?: number;
  h?: number;
  mimetype?: string;
  size?: number;
  thumbnail_url?: string;
  thumbnail_file?: EncryptedFile;
  thumbnail_info?: { w?: number; h?: number; mimetype?: string };
}

const MAX_W = 320;
const MAX_H = 240;

function ImageBody(props: { client: MatrixClient; event: MatrixEvent }) {
  const c = props.event.getContent();
  const info = (c.info ?? {}) as ImageInfo;
  const name = typeof c.body === 'string' ? c.body : 'image';
  const full: MediaSource = c.file
    ? { file: c.file as EncryptedFile, mimetype: info.mimetype }
    : { mxc: typeof c.url === 'string' ? c.url : undefined };
  // The sender's thumbnail when there is one; else the server's (plain media) or the file.
  let thumb: MediaSource = full;
  let serverThumb = false;
  if (info.thumbnail_file)
    thumb = { file: info.thumbnail_file, mimetype: info.thumbnail_info?.mimetype };
  else if (info.thumbnail_url) thumb = { mxc: info.thumbnail_url };
  else if (!c.file) serverThumb = true;
  const media = useMediaUrl(
    props.client,
    thumb,
    serverThumb ? { width: 800, height: 600 } : undefined,
  );
  const [open, setOpen] = useState(false);
  const w = info.w ?? info.thumbnail_info?.w ?? MAX_W;
  const h = info.h ?? info.thumbnail_info?.h ?? MAX_H;
  const scale = Math.min(1, MAX_W / w, MAX_H / h);
  const box = { width: Math.round(w * scale), height: Math.round(h * scale) };
  return (
    <>
      <button
        type="button"
        className="tl-image-button"
        style={box}
        onClick={() => setOpen(true)}
        aria-label={`View image ${name} full size`}
      >
        {media.status === 'ready' ? (
          <img
            className="tl-image"
            src={media.url}
            alt={name}
            width={box.width}
            height={box.height}
          />
        ) : media.status === 'error' ? (
          <span className="tl-image-placeholder">Image could not be loaded ({media.message})</span>
        ) : (
          <span className="tl-image-placeholder" role="status">
            Loading image…
          </span>
        )}
      </button>
      {open && (
        <ImageViewer
          client={props.client}
          source={full}
          name={name}
          onClose={() => setOpen(false)}
        />
      )}
    </>
  );
}

export function formatSize(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function FileBody(props: { client: MatrixClient; event: MatrixEvent }) {
  const c = props.event.getContent();
  const info = (c.info ?? {}) as ImageInfo;
  const name =
    (typeof c.filename === 'string' && c.filename) ||
    (typeof c.body === 'string' ? c.body : 'file');
  const [state, setState] = useState<'idle' | 'busy' | string>('idle');
  const source: MediaSource = c.file
    ? { file: c.file as EncryptedFile, mimetype: info.mimetype }
    : { mxc: typeof c.url === 'string' ? c.url : undefined };
  const download = () => {
    setState('busy');
    downloadMedia(props.client, source, name).then(
      () => setState('idle'),
      (e: unknown) => setState(`Download failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  };
  return (
    <div className="tl-file">
      <span className="tl-file-icon">
        <Icon name="file" size={28} />
      </span>
      <span className="tl-file-text">
        <span className="tl-file-name">{name}</span>
        <span className="tl-file-size">{formatSize(info.size)}</span>
      </span>
      <button
        type="button"
        onClick={download}
        disabled={state === 'busy'}
        aria-label={`Download ${name}`}
      >
        {state === 'busy' ? 'Downloading…' : 'Download'}
      </button>
      {state !== 'idle' && state !== 'busy' && (
        <span role="alert" className="tl-error">
          {state}
        </span>
      )}
    </div>
  );
}

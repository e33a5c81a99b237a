import { useEffect, useRef } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';
import { downloadMedia, useMediaUrl, type MediaSource } from './media';

/** The full-size image over the app; Escape or the close button returns to the room. */
export function ImageViewer(props: {
  client: MatrixClient;
  source: MediaSource;
  name: string;
  onClose: () => void;
}) {
  const media = useMediaUrl(props.client, props.source);
  const close = useRef<HTMLButtonElement>(null);
  const { onClose } = props;
  useEffect(() => {
    const back = document.activeElement as HTMLElement | null;
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      back?.focus();
    };
  }, [onClose]);
  return (
    <div
      className="tl-viewer"
      role="dialog"
      aria-modal="true"
      aria-label={`Image: ${props.name}`}
      onClick={onClose}
    >
      <div className="tl-viewer-bar" onClick={(e) => e.stopPropagation()}>
        <span className="tl-viewer-name">{props.name}</span>
        <button
          type="button"
          onClick={() => void downloadMedia(props.client, props.source, props.name)}
        >
          Download
        </button>
        <button type="button" ref={close} onClick={onClose}>
          Close
        </button>
      </div>
      {media.status === 'ready' ? (
        <img
          className="tl-viewer-image"
          src={media.url}
          alt={props.name}
          onClick={(e) => e.stopPropagation()}
        />
      ) : (
        <p className="tl-viewer-status" role="status">
          {media.status === 'error'
            ? `The image could not be loaded: ${media.message}`
            : 'Loading…'}
        </p>
      )}
    </div>
  );
}

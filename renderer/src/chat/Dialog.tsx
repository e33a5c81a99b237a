import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A modal dialog on the native <dialog> element: it traps focus, closes on Escape and
 * returns focus to what opened it, as screen readers expect.
 */
export function Dialog(props: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="chat-dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <div className="chat-dialog-head">
        <h2 id={titleId}>{props.title}</h2>
        <button
          type="button"
          className="chat-icon-button"
          aria-label="Close"
          onClick={props.onClose}
        >
          ✕
        </button>
      </div>
      {props.children}
    </dialog>
  );
}

/** The text of an error from the server or the network, for an alert. */
export function errorMessage(e: unknown, known: Record<string, string> = {}): string {
  const err = e as { errcode?: string; data?: { error?: string }; message?: string };
  if (err?.errcode && known[err.errcode]) return known[err.errcode]!;
  if (err?.errcode === 'M_LIMIT_EXCEEDED') return 'Too many requests. Wait a moment and try again.';
  if (e instanceof TypeError) return 'Could not reach the server. Check the connection.';
  return err?.data?.error ?? err?.message ?? String(e);
}

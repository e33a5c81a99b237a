import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { errorText } from './errors';

/**
 * A modal confirmation for destructive actions (deactivate, delete a room, purge). The
 * native <dialog> traps focus and closes on Escape; Cancel has the focus first, so Enter
 * alone never destroys anything. While the action runs the buttons are disabled; its error
 * shows in the dialog, which stays open.
 */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** Runs the action; the dialog closes when it resolves. */
  onConfirm: () => Promise<void>;
  onClose: () => void;
  danger?: boolean;
  /** False keeps the confirm button disabled (a required field in the body). */
  canConfirm?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const titleId = useId();
  const { onClose } = props;

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    // showModal focuses the first focusable element (maybe a checkbox); Cancel comes first.
    cancelRef.current?.focus();
    return () => d?.close();
  }, []);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      onClose();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={ref}
      className="adm-dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onClose();
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      <div className="adm-dialog-body">{props.children}</div>
      {error ? (
        <p className="adm-note adm-note-error" role="alert">
          {errorText(error)}
        </p>
      ) : null}
      <div className="adm-dialog-actions">
        <button type="button" ref={cancelRef} onClick={onClose} disabled={busy}>
          Cancel
        </button>
        <button
          type="button"
          className={props.danger ? 'adm-danger' : 'primary'}
          onClick={confirm}
          disabled={busy || props.canConfirm === false}
        >
          {busy ? 'Working…' : props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

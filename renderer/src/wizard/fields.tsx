import { useId, useState, type ReactNode, type Ref } from 'react';
import type { CheckState } from './use-field-check';

interface TextFieldProps {
  label: string;
  value: string;
  onChange: (v: string) => void;
  type?: 'text' | 'password';
  autoComplete?: string;
  /** Always shown under the field. */
  hint?: ReactNode;
  /** The server's verdict, as the person types. */
  check?: CheckState;
  /** A problem found here (passwords that differ), shown before the server's. */
  error?: string | null;
  /** Said when the server's check passed ("Available"). */
  okText?: string;
  inputRef?: Ref<HTMLInputElement>;
  required?: boolean;
  placeholder?: string;
  inputMode?: 'text' | 'url';
}

/**
 * A labelled input with its hint and its as-you-type verdict, tied together for screen
 * readers (aria-describedby, aria-invalid; the verdict is a polite live region).
 */
export function TextField(p: TextFieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const msgId = `${id}-msg`;
  const error = p.error ?? (p.check?.state === 'error' ? p.check.message : null);
  const ok = !error && p.check?.state === 'ok' && p.okText;
  return (
    <div className="wizard-field">
      <label htmlFor={id}>{p.label}</label>
      <input
        id={id}
        ref={p.inputRef}
        type={p.type ?? 'text'}
        value={p.value}
        onChange={(e) => p.onChange(e.target.value)}
        autoComplete={p.autoComplete}
        autoCapitalize="none"
        spellCheck={false}
        required={p.required}
        placeholder={p.placeholder}
        inputMode={p.inputMode}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${p.hint ? hintId : ''} ${msgId}`.trim()}
      />
      {p.hint && (
        <p id={hintId} className="wizard-hint">
          {p.hint}
        </p>
      )}
      <p id={msgId} className="wizard-verdict" aria-live="polite">
        {error ? (
          <span className="wizard-error">{error}</span>
        ) : p.check?.state === 'checking' ? (
          <span className="wizard-checking">Checking…</span>
        ) : ok ? (
          <span className="wizard-ok">{p.okText}</span>
        ) : null}
      </p>
    </div>
  );
}

/** A block of text to copy (a config snippet), with a copy button. */
export function CopyBlock(p: { label: string; text: string }) {
  const id = useId();
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const copy = () => {
    // The clipboard needs a secure page (localhost is one); elsewhere the text is selectable.
    const done = navigator.clipboard?.writeText(p.text);
    if (!done) return setCopied('no');
    done.then(
      () => setCopied('yes'),
      () => setCopied('no'),
    );
  };
  return (
    <div className="wizard-copy">
      <div className="wizard-copy-head">
        <span id={id}>{p.label}</span>
        <span className="wizard-copy-tools">
          <span aria-live="polite" className="wizard-hint">
            {copied === 'yes' ? 'Copied' : copied === 'no' ? 'Select the text to copy it' : ''}
          </span>
          <button type="button" onClick={copy} aria-label={`Copy ${p.label}`}>
            Copy
          </button>
        </span>
      </div>
      <pre aria-labelledby={id} tabIndex={0}>
        <code>{p.text}</code>
      </pre>
    </div>
  );
}

// Small building blocks shared by the admin screens: pager, copy button, notices, fields.
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { errorText } from './errors';
import { nextPage, PAGE_SIZES, pageView, prevPage, withLimit, type PageState } from './paging';

/** Previous / next, where we are ("26–50 of 120") and the page size. */
export function Pager(props: {
  state: PageState;
  shown: number;
  total: number | undefined;
  more?: boolean;
  onChange: (s: PageState) => void;
  label: string;
}) {
  const view = pageView(props.state, props.shown, props.total, props.more);
  const sizeId = useId();
  return (
    <nav className="adm-pager" aria-label={`${props.label} pages`}>
      <button
        type="button"
        disabled={!view.hasPrev}
        onClick={() => props.onChange(prevPage(props.state))}
      >
        ‹ Previous
      </button>
      <span className="adm-pager-label" aria-live="polite">
        {view.label}
      </span>
      <button
        type="button"
        disabled={!view.hasNext}
        onClick={() => props.onChange(nextPage(props.state, view))}
      >
        Next ›
      </button>
      <label className="adm-pager-size" htmlFor={sizeId}>
        Per page
      </label>
      <select
        id={sizeId}
        value={props.state.limit}
        onChange={(e) => props.onChange(withLimit(props.state, Number(e.target.value)))}
      >
        {PAGE_SIZES.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </nav>
  );
}

/** Copies `text`; says so for a moment (and to screen readers). */
export function CopyButton(props: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setState('copied');
    } catch {
      setState('failed');
    }
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setState('idle'), 2000);
  };
  const what = props.label ?? 'Copy';
  return (
    <button type="button" className="adm-copy" onClick={copy} aria-label={`${what}: ${props.text}`}>
      <span aria-live="polite">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy' : 'Copy'}
      </span>
    </button>
  );
}

/** An error from a request, with an optional retry. */
export function ErrorNote(props: { error: unknown; onRetry?: () => void }) {
  if (!props.error) return null;
  return (
    <div className="adm-note adm-note-error" role="alert">
      <span>{errorText(props.error)}</span>
      {props.onRetry && (
        <button type="button" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A success or information line, announced politely. */
export function OkNote(props: { children: ReactNode }) {
  return (
    <div className="adm-note adm-note-ok" role="status">
      {props.children}
    </div>
  );
}

/** The loading line for a first load (later loads keep the old rows, marked busy). */
export function Loading(props: { what: string }) {
  return (
    <p className="adm-loading" role="status">
      Loading {props.what}…
    </p>
  );
}

/** A labelled form field with its hint and error tied to the input for screen readers. */
export function Field(props: {
  label: string;
  hint?: string;
  error?: string | null;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const describedBy =
    [props.hint ? hintId : '', props.error ? errId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="adm-field">
      <label htmlFor={id}>{props.label}</label>
      {props.children({ id, describedBy, invalid: !!props.error })}
      {props.hint && (
        <p id={hintId} className="adm-hint">
          {props.hint}
        </p>
      )}
      {props.error && (
        <p id={errId} className="adm-field-error">
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A yes/no/… marker in a table cell. */
export function Badge(props: { tone: 'ok' | 'warn' | 'bad' | 'plain'; children: ReactNode }) {
  return <span className={`adm-badge adm-badge-${props.tone}`}>{props.children}</span>;
}

/** A search box that reports its (undebounced) text. */
export function SearchBox(props: { label: string; value: string; onChange: (v: string) => void }) {
  const id = useId();
  return (
    <div className="adm-search" role="search">
      <label htmlFor={id} className="visually-hidden">
        {props.label}
      </label>
      <input
        id={id}
        type="search"
        placeholder={props.label}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </div>
  );
}

/**
 * A new password and its repeat (the create-user and reset-password forms). Both are
 * new-password fields, so a browser offers to generate one; `error` shows under the first.
 */
export function NewPasswordFields(props: {
  /** "Password" or "New password"; the second field is "Repeat <label>". */
  label: string;
  password: string;
  confirm: string;
  onPassword: (v: string) => void;
  onConfirm: (v: string) => void;
  error: string | null;
  disabled?: boolean;
}) {
  return (
    <>
      <Field label={props.label} hint="At least 8 characters." error={props.error}>
        {(f) => (
          <input
            id={f.id}
            type="password"
            autoComplete="new-password"
            aria-describedby={f.describedBy}
            aria-invalid={f.invalid}
            value={props.password}
            disabled={props.disabled}
            onChange={(e) => props.onPassword(e.target.value)}
          />
        )}
      </Field>
      <Field label={`Repeat ${props.label.toLowerCase()}`}>
        {(f) => (
          <input
            id={f.id}
            type="password"
            autoComplete="new-password"
            value={props.confirm}
            disabled={props.disabled}
            onChange={(e) => props.onConfirm(e.target.value)}
          />
        )}
      </Field>
    </>
  );
}

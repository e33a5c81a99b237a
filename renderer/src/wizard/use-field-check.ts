import { useEffect, useState } from 'react';
import { problemText, validateFields, type Field } from './setup-api';

export type CheckState =
  | { state: 'idle' }
  | { state: 'checking' }
  | { state: 'ok' }
  | { state: 'error'; message: string; errcode?: string };

/** How long typing must pause before the server is asked. */
const DELAY_MS = 300;

/**
 * Asks the server about one field as the person types (debounced; an older answer never
 * replaces a newer one). `fields` is what to send (the field itself and any it depends
 * on, e.g. the server name for a user name); null when the field is empty: nothing to say.
 */
export function useFieldCheck(
  token: string | null,
  field: Field,
  fields: Partial<Record<Field, string>> | null,
): CheckState {
  const [check, setCheck] = useState<CheckState>({ state: 'idle' });
  const key = fields ? JSON.stringify(fields) : null;
  useEffect(() => {
    if (key === null) {
      setCheck({ state: 'idle' });
      return;
    }
    const body = JSON.parse(key) as Partial<Record<Field, string>>;
    const abort = new AbortController();
    setCheck({ state: 'checking' });
    const timer = setTimeout(() => {
      validateFields(token, body, abort.signal).then(
        (res) => {
          const r = res[field];
          if (!r || r.valid) setCheck({ state: 'ok' });
          else
            setCheck({
              state: 'error',
              message: r.error ?? 'Not valid.',
              ...(r.errcode ? { errcode: r.errcode } : {}),
            });
        },
        (e: unknown) => {
          if (abort.signal.aborted) return;
          setCheck({ state: 'error', message: problemText(e) });
        },
      );
    }, DELAY_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [token, field, key]);
  return check;
}

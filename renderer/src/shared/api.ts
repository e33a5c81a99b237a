/**
 * A small fetch wrapper for the parts of the app that do not go through matrix-js-sdk
 * (the wizard's setup endpoints, the admin API). Errors come back as MatrixApiError with
 * the server's errcode and message, so screens can say what went wrong.
 */
export class MatrixApiError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface ApiOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  accessToken?: string | null;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  /** Extra request headers (a setup token). */
  headers?: Record<string, string>;
}

export async function api<T>(path: string, opts: ApiOptions = {}): Promise<T> {
  let url = path;
  if (opts.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) if (v !== undefined) q.set(k, String(v));
    const s = q.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.accessToken) headers['Authorization'] = `Bearer ${opts.accessToken}`;
  const res = await fetch(url, {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
  });
  const text = await res.text();
  let json: unknown = {};
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = { error: text };
    }
  }
  if (!res.ok) {
    const b = (json ?? {}) as Record<string, unknown>;
    throw new MatrixApiError(
      res.status,
      typeof b.errcode === 'string' ? b.errcode : 'M_UNKNOWN',
      typeof b.error === 'string' ? b.error : `The server answered ${res.status}.`,
      b,
    );
  }
  return json as T;
}

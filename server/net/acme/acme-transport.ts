import { AsyncLocalStorage } from 'node:async_hooks';
import type { Agent } from 'node:https';
import type { axios as AcmeAxios } from 'acme-client';

/**
 * acme-client sends every request through one shared axios instance, retries failures on
 * its own (for about 75 s against an unreachable server, for hours behind a Retry-After)
 * and turns ACME problem documents into bare messages. Hearth wants none of that: its
 * manager backs off itself, trusts acme.ca_bundle for one directory and not the whole
 * process, and needs the problem's type to say what went wrong in plain words. So each
 * issuance runs in a scope (AsyncLocalStorage, which follows the library's promise chains)
 * and two interceptors apply the scope's agent and timeout, disable the library's retries
 * and keep the last problem the server answered.
 */

/** An RFC 8555 problem document, as the ACME server sent it. */
export interface AcmeProblem {
  type: string;
  detail: string;
  subproblems?: { type?: string; detail?: string }[];
  /** From the answer's Retry-After header (rate limits), if any. */
  retryAfterMs: number | null;
}

interface Scope {
  agent: Agent | undefined;
  timeoutMs: number;
  /** Aborts the requests under way (the server is closing). */
  signal: AbortSignal | undefined;
  problem: AcmeProblem | null;
}

const scopes = new AsyncLocalStorage<Scope>();
const installed = new WeakSet<object>();

/** Runs `fn` with its ACME requests going through `agent`, and reports the last problem. */
export async function withAcmeScope<T>(
  axios: typeof AcmeAxios,
  opts: { agent: Agent | undefined; timeoutMs: number; signal?: AbortSignal },
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown; problem: AcmeProblem | null }> {
  install(axios);
  const scope: Scope = { signal: undefined, ...opts, problem: null };
  try {
    return { ok: true, value: await scopes.run(scope, fn) };
  } catch (error) {
    return { ok: false, error, problem: scope.problem };
  }
}

function install(axios: typeof AcmeAxios): void {
  if (installed.has(axios)) return;
  installed.add(axios);
  axios.interceptors.request.use((config) => {
    const scope = scopes.getStore();
    if (!scope) return config;
    if (scope.agent) config.httpsAgent = scope.agent;
    config.timeout = scope.timeoutMs;
    if (scope.signal) config.signal = scope.signal;
    // acme-client retries while its attempt counter is below retryMaxAttempts: start it there.
    const settings = (axios.defaults as { acmeSettings?: { retryMaxAttempts?: number } })
      .acmeSettings;
    Object.assign(config, { retryAttempt: settings?.retryMaxAttempts ?? 5 });
    return config;
  });
  axios.interceptors.response.use((response) => {
    const scope = scopes.getStore();
    if (scope) {
      // The last answer before a failure is the one that explains it: an earlier problem
      // the library got past (a bad nonce it retried) must not be blamed.
      scope.problem = problemOf(response.data, response.headers['retry-after']);
    }
    return response;
  });
}

/**
 * The problem in an answer: a problem document itself, or the `error` of an invalid
 * challenge or authorization (RFC 8555 §7.1.4, §7.1.6).
 */
function problemOf(data: unknown, retryAfter: unknown): AcmeProblem | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as Record<string, unknown>;
  const asProblem = (p: unknown): AcmeProblem | null => {
    if (typeof p !== 'object' || p === null) return null;
    const o = p as Record<string, unknown>;
    if (typeof o.type !== 'string' || !o.type.startsWith('urn:ietf:params:acme:error:'))
      return null;
    return {
      type: o.type,
      detail: typeof o.detail === 'string' ? o.detail : '',
      ...(Array.isArray(o.subproblems)
        ? { subproblems: o.subproblems as AcmeProblem['subproblems'] }
        : {}),
      retryAfterMs: parseRetryAfter(retryAfter),
    };
  };
  if (d.status === 'invalid') {
    const own = asProblem(d.error);
    if (own) return own;
    for (const c of Array.isArray(d.challenges) ? d.challenges : []) {
      const p = asProblem((c as Record<string, unknown>).error);
      if (p) return p;
    }
  }
  return asProblem(d);
}

function parseRetryAfter(v: unknown): number | null {
  if (typeof v !== 'string' || !v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

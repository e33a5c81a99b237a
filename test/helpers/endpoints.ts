import { readFileSync } from 'node:fs';

/**
 * The spec's endpoints as test/fixtures/endpoints.tsv lists them (derived from
 * matrix-org/matrix-spec), for the route coverage tests of both APIs.
 */

export interface EndpointRow {
  method: string;
  path: string;
  module: string;
  /** `required` when the endpoint needs authentication. */
  auth: string;
}

/** The rows of `api` ('client-server' or 'server-server') whose module is in `modules`. */
export function loadEndpointRows(api: string, modules: ReadonlySet<string>): EndpointRow[] {
  const url = new URL('../fixtures/endpoints.tsv', import.meta.url);
  const [header, ...lines] = readFileSync(url, 'utf8').trimEnd().split('\n');
  const cols = header!.split('\t');
  return lines
    .map((line) => Object.fromEntries(line.split('\t').map((v, i) => [cols[i], v])))
    .filter((r) => r.api === api)
    .map((r) => ({ method: r.method!, path: r.path!, module: r.module!, auth: r.auth! }))
    .filter((r) => modules.has(r.module));
}

/** `path` with its {parameters} filled from `values` (URL-encoded); throws for a missing one. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for path parameter ${name} in ${path}`);
    return encodeURIComponent(value);
  });
}

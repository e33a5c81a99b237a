/**
 * The seam between the federation parts: what sends a request to another homeserver
 * (server/federation/transport.ts implements it over HTTPS with discovery, TLS and the
 * address guard) and what uses it (key fetching, the outgoing queue, joins, backfill).
 * Tests may pass any implementation that reaches a real server.
 */

export type FederationMethod = 'GET' | 'PUT' | 'POST';

export interface FederationRequest {
  method: FederationMethod;
  /** The path with its query string, as signed in the X-Matrix Authorization header. */
  path: string;
  /** A JSON body (PUT/POST). */
  body?: unknown;
  /** Abandon the request after this long (default: the transport's). */
  timeoutMs?: number;
  /** Send without an Authorization header (key fetches: /_matrix/key/v2/server). */
  unsigned?: boolean;
  /** The most bytes of answer to read; larger answers fail the request. */
  maxBytes?: number;
  /** Return the answer's bytes as `rawBody` instead of parsing JSON (media downloads). */
  raw?: boolean;
}

export interface FederationResponse {
  status: number;
  /** The parsed JSON body (undefined when the answer was empty). */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  /** The answer's bytes, when the request asked for `raw`. */
  rawBody?: Buffer;
}

/** Thrown for failures below HTTP: unresolvable name, blocked address, TLS, timeout. */
export class FederationTransportError extends Error {
  constructor(
    message: string,
    readonly destination: string,
    readonly reason:
      | 'dns'
      | 'blocked_address'
      | 'blocked_destination'
      | 'connect'
      | 'tls'
      | 'timeout'
      | 'too_large'
      | 'bad_response',
  ) {
    super(message);
    this.name = 'FederationTransportError';
  }
}

export interface FederationClient {
  /** Sends one request to `destination` (a server name: `example.org`, `host:port`, an IP). */
  request(destination: string, req: FederationRequest): Promise<FederationResponse>;
}

/**
 * Makes the X-Matrix Authorization header value for a request from this server to
 * `destination` (server/federation/x-matrix.ts). The transport calls it for each request.
 */
export type RequestSigner = (
  destination: string,
  method: FederationMethod,
  path: string,
  body: unknown,
) => string;

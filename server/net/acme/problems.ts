import type { AcmeChallengeType } from '../../core/config/acme.js';
import type { AcmeProblem } from './acme-transport.js';

/**
 * Turns what went wrong while getting a certificate into one sentence the person can act
 * on: ACME problem types (RFC 8555 §6.7, and Let's Encrypt's use of them) and local causes
 * (the challenge port taken or not permitted, the certificate authority unreachable).
 */

/** The challenge listener could not bind its port. */
export class ChallengePortError extends Error {
  constructor(
    readonly code: string,
    readonly port: number,
    readonly host: string,
  ) {
    super(`cannot listen on ${host}:${port}: ${code}`);
    this.name = 'ChallengePortError';
  }
}

export interface FailureContext {
  domain: string;
  /** The local port the challenge listener uses (acme.port). */
  port: number;
  challenge: AcmeChallengeType;
  directoryUrl: string;
}

/** "Let's Encrypt" for its directories, else "the certificate authority at HOST". */
export function caName(directoryUrl: string): string {
  let host = directoryUrl;
  try {
    host = new URL(directoryUrl).host;
  } catch {
    // keep the raw value
  }
  if (/(^|\.)letsencrypt\.org$/.test(host)) return "Let's Encrypt";
  return `the certificate authority at ${host}`;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The first IP address a validation detail names ("203.0.113.9: Fetching http://..."). */
function addressIn(detail: string): string | null {
  return (
    /\b(\d{1,3}(?:\.\d{1,3}){3})\b/.exec(detail)?.[1] ??
    /\[([0-9a-f:]+)\]/i.exec(detail)?.[1] ??
    null
  );
}

/** The sentence for a failed attempt. */
export function describeFailure(
  err: unknown,
  problem: AcmeProblem | null,
  c: FailureContext,
): string {
  const ca = caName(c.directoryUrl);
  const CA = capital(ca);
  const publicPort = c.challenge === 'http-01' ? 80 : 443;
  if (err instanceof ChallengePortError) {
    if (err.code === 'EADDRINUSE') {
      return (
        `Hearth could not open port ${err.port} for the certificate challenge: another program ` +
        `(often a web server) is already using it. Stop that program, or set acme.port to a ` +
        `free port and forward port ${publicPort} of your router to it.`
      );
    }
    if (err.code === 'EACCES' || err.code === 'EPERM') {
      return (
        `Hearth is not allowed to open port ${err.port} for the certificate challenge: ports ` +
        `below 1024 need administrator rights (on Linux, the CAP_NET_BIND_SERVICE capability). ` +
        `Grant it, or set acme.port to a port above 1024 and forward port ${publicPort} of ` +
        `your router to it.`
      );
    }
    return (
      `Hearth could not open port ${err.port} on ${err.host} for the certificate challenge ` +
      `(${err.code}): check acme.bind_addresses.`
    );
  }
  if (problem) {
    const kind = problem.type.replace('urn:ietf:params:acme:error:', '');
    const sub = problem.subproblems?.find((s) => s.detail)?.detail;
    const detail = problem.detail || sub || '';
    const at = addressIn(detail);
    const where = at ? ` (at ${at})` : '';
    switch (kind) {
      case 'rateLimited':
        return (
          `${CA} refused to issue another certificate for ${c.domain} for now: its rate ` +
          `limits were reached (${detail}). Hearth will try again later by itself.`
        );
      case 'dns':
        return (
          `${CA} could not find ${c.domain} in DNS: give ${c.domain} an A (or AAAA) record ` +
          `pointing to this machine's public IP address. (${detail})`
        );
      case 'connection':
        return (
          `${CA} could not connect to port ${publicPort} of ${c.domain}${where}: is the port ` +
          `forwarded to this machine, and does ${c.domain} point to this machine's public IP ` +
          `address? (${detail})`
        );
      case 'unauthorized':
      case 'incorrectResponse':
        return (
          `${CA} reached port ${publicPort} of ${c.domain}${where}, but what answered was not ` +
          `this Hearth: ${c.domain} may point to another machine, or your router may forward ` +
          `port ${publicPort} elsewhere. (${detail})`
        );
      case 'tls':
        return (
          `${CA} could not complete a TLS connection to port ${publicPort} of ${c.domain}` +
          `${where}: is the port forwarded to this machine? (${detail})`
        );
      case 'caa':
        return (
          `A CAA record in the DNS of ${c.domain} forbids ${ca} to issue certificates for it: ` +
          `add ${ca} to it (for Let's Encrypt: 0 issue "letsencrypt.org") or remove it. (${detail})`
        );
      case 'rejectedIdentifier':
      case 'unsupportedIdentifier':
        return `${CA} will not issue certificates for ${c.domain}: ${detail}`;
      case 'invalidContact':
      case 'unsupportedContact':
        return `${CA} refused the contact address (acme.email): ${detail}`;
      default:
        return `${CA} could not issue a certificate for ${c.domain}: ${detail || kind}`;
    }
  }
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e?.code ?? e?.cause?.code;
  if (
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' ||
    code === 'ERR_TLS_CERT_ALTNAME_INVALID'
  ) {
    return (
      `Hearth does not trust the HTTPS certificate of ${c.directoryUrl} (${code}): for a ` +
      `private certificate authority, set acme.ca_bundle to its CA certificate.`
    );
  }
  if (code && /^(E[A-Z]+|ERR_[A-Z_]+)$/.test(code)) {
    return (
      `Hearth could not reach ${ca} (${code}): check this machine's internet connection, ` +
      `or acme.url.`
    );
  }
  return `Getting a certificate for ${c.domain} from ${ca} failed: ${(err as Error)?.message ?? String(err)}`;
}

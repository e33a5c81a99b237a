import type { Config } from '../../core/config/types.js';
import type { CertificateInfo } from './certificate-info.js';
import { WARN_DAYS, daysLeft, renewalTime } from './schedule.js';

/** What GET /_hearth/admin/v1/certificates answers (docs/certificates.md). */
export interface CertificateStatus {
  enabled: boolean;
  domain: string;
  status: 'none' | 'issuing' | 'valid' | 'renewing' | 'error';
  not_before: number | null;
  not_after: number | null;
  issuer: string | null;
  staging: boolean;
  last_error: string | null;
  next_renewal_ts: number | null;
  /** Set from 14 days before expiry while not renewed, and for a staging certificate. */
  warning: string | null;
  challenge: string;
  directory_url: string;
}

/** The status when acme.enabled is off: nothing is issued here. */
export function disabledStatus(acme: Config['acme']): CertificateStatus {
  return {
    enabled: false,
    domain: acme.domain,
    status: 'none',
    not_before: null,
    not_after: null,
    issuer: null,
    staging: false,
    last_error: null,
    next_renewal_ts: null,
    warning: null,
    challenge: acme.challenge,
    directory_url: acme.url,
  };
}

/**
 * The warning for the person about the certificate served now, or null: expired; a staging
 * certificate (not trusted); or 14 days or fewer left with its renewal overdue (short
 * certificates renew later than 14 days before expiry by design, and are not warned about
 * before their renewal time).
 */
export function expiryWarning(
  acme: Config['acme'],
  c: { info: CertificateInfo; staging: boolean; directoryUrl: string },
  lastError: string | null,
  now: number,
): string | null {
  const domain = acme.domain;
  const date = new Date(c.info.notAfter).toISOString().slice(0, 10);
  const why = lastError ? `: ${lastError}` : '.';
  if (now >= c.info.notAfter) return `The certificate for ${domain} expired on ${date}${why}`;
  if (c.staging && c.directoryUrl !== acme.url) {
    return (
      `The certificate for ${domain} is a test certificate from the staging service: ` +
      `browsers and other servers do not trust it.`
    );
  }
  const left = daysLeft(c.info.notAfter, now);
  const due = renewalTime(c.info.notBefore, c.info.notAfter, acme.reprovisionThresholdDays);
  if (left <= WARN_DAYS && now >= due) {
    return `The certificate for ${domain} expires in ${left} days (${date}) and is not renewed yet${why}`;
  }
  return null;
}

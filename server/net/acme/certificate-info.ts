import { X509Certificate } from 'node:crypto';

/** What Hearth needs to know of a certificate: when it is valid, who issued it, its names. */
export interface CertificateInfo {
  notBefore: number;
  notAfter: number;
  /** The issuer's common name (or its whole distinguished name when it has none). */
  issuer: string;
  names: string[];
}

/** Reads the first certificate of a PEM chain. Throws on a malformed certificate. */
export function readCertificateInfo(pem: string): CertificateInfo {
  const cert = new X509Certificate(pem);
  const issuer = /(?:^|\n)CN=([^\n]+)/.exec(cert.issuer)?.[1] ?? cert.issuer.replace(/\n/g, ', ');
  const names = (cert.subjectAltName ?? '')
    .split(', ')
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4).toLowerCase());
  return {
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    issuer,
    names,
  };
}

/** Whether `info` names `domain` (exactly, or through a wildcard one label deep). */
export function coversDomain(info: CertificateInfo, domain: string): boolean {
  const d = domain.toLowerCase();
  return info.names.some(
    (n) => n === d || (n.startsWith('*.') && d.slice(d.indexOf('.') + 1) === n.slice(2)),
  );
}

/** A certificate and its private key, both PEM (the certificate with its chain). */
export interface PemPair {
  cert: string;
  key: string;
}

/**
 * Where a TLS listener gets a certificate that changes while it runs (the ACME manager):
 * the one to serve now, if any, and a call on each new one, so the listener swaps it in
 * (tls.Server.setSecureContext) without a restart.
 */
export interface TlsCertificateSource {
  current(): PemPair | null;
  /** Calls `onChange` with each new certificate; returns the unsubscribe function. */
  subscribe(onChange: (pair: PemPair) => void): () => void;
}

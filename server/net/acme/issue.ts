import { readFileSync } from 'node:fs';
import { Agent, get } from 'node:https';
import { rootCertificates } from 'node:tls';
import * as acme from 'acme-client';
import type { AcmeChallengeType } from '../../core/config/acme.js';
import type { Logger } from '../../core/logger.js';
import { withAcmeScope } from './acme-transport.js';
import { loadOrCreateAccountKey } from './certificate-files.js';
import type { PemPair } from './certificate-source.js';
import { HttpChallengeResponder } from './http-challenge.js';
import { describeFailure } from './problems.js';
import { TlsAlpnChallengeResponder } from './tls-alpn-challenge.js';

/**
 * One issuance against one ACME directory (RFC 8555 §7): open the challenge listener, make
 * sure of the account, order the certificate for the domain, answer its challenge, finalize
 * with a new key's CSR and download the chain. Loaded only when a certificate is needed
 * (acme-client and its crypto are large). Never throws: a failure comes back as a sentence.
 */

export interface IssueRequest {
  directoryUrl: string;
  domain: string;
  email: string | null;
  accountKeyFile: string;
  caBundle: string | null;
  challenge: AcmeChallengeType;
  port: number;
  bindAddresses: string[];
  log: Logger;
  /** The first wait while the CA validates (doubling from there; acme-client's backoff). */
  pollMinMs: number;
  /** Told before the challenge listener opens (port mapping) and after it closed. */
  portNeeded(open: boolean): Promise<void>;
  /** Aborted when the server closes: the challenge listener closes and requests stop. */
  signal?: AbortSignal;
}

export type IssueResult =
  ({ ok: true } & PemPair) | { ok: false; message: string; retryAfterMs: number | null };

const REQUEST_TIMEOUT_MS = 30_000;

export async function issueCertificate(r: IssueRequest): Promise<IssueResult> {
  const agent = r.caBundle
    ? new Agent({ ca: [...rootCertificates, readFileSync(r.caBundle, 'utf8')] })
    : undefined;
  // What was opened, to undo it whatever happened (the port event only if it was told).
  const held: {
    portTold?: boolean;
    responder?: HttpChallengeResponder | TlsAlpnChallengeResponder;
  } = {};
  const result = await withAcmeScope(
    acme.axios,
    { agent, timeoutMs: REQUEST_TIMEOUT_MS, ...(r.signal ? { signal: r.signal } : {}) },
    async () => {
      await reachDirectory(r.directoryUrl, agent);
      held.portTold = true;
      await r.portNeeded(true);
      if (r.signal?.aborted) throw new Error('the server is closing');
      const opened =
        r.challenge === 'http-01'
          ? await HttpChallengeResponder.open(r.port, r.bindAddresses, r.log)
          : await TlsAlpnChallengeResponder.open(r.port, r.bindAddresses, r.log);
      held.responder = opened;
      r.signal?.addEventListener('abort', () => void opened.close(), { once: true });
      return order(r, opened);
    },
  );
  await held.responder?.close();
  if (held.portTold) await r.portNeeded(false);
  agent?.destroy();
  if (result.ok) return { ok: true, ...result.value };
  r.log.debug({ err: result.error, problem: result.problem }, 'ACME issuance failed');
  return {
    ok: false,
    message: describeFailure(result.error, result.problem, r),
    retryAfterMs: result.problem?.retryAfterMs ?? null,
  };
}

/**
 * Fetches the directory once before anything else, so an unreachable or untrusted ACME
 * server fails with its network error (acme-client would report it, without retries, as
 * a TypeError) and before the challenge port is opened.
 */
function reachDirectory(url: string, agent: Agent | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ...(agent ? { agent } : {}), timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () =>
        (res.statusCode ?? 0) < 400
          ? resolve()
          : reject(new Error(`${url} answered HTTP ${res.statusCode}: is acme.url right?`)),
      );
    });
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', reject);
  });
}

async function order(
  r: IssueRequest,
  responder: HttpChallengeResponder | TlsAlpnChallengeResponder,
): Promise<PemPair> {
  const accountKey = await loadOrCreateAccountKey(r.accountKeyFile, async () =>
    (await acme.crypto.createPrivateEcdsaKey('P-256')).toString(),
  );
  const client = new acme.Client({
    directoryUrl: r.directoryUrl,
    accountKey,
    backoffMin: r.pollMinMs,
    backoffMax: Math.max(r.pollMinMs, 10_000),
    backoffAttempts: 12,
  });
  // With a known key the server answers with the existing account (RFC 8555 §7.3.1).
  await client.createAccount({
    termsOfServiceAgreed: true,
    ...(r.email ? { contact: [`mailto:${r.email}`] } : {}),
  });
  const placed = await client.createOrder({ identifiers: [{ type: 'dns', value: r.domain }] });
  for (const authz of await client.getAuthorizations(placed)) {
    if (authz.status === 'valid') continue;
    const challenge = authz.challenges.find((c) => c.type === r.challenge);
    if (!challenge) {
      throw new Error(`the certificate authority does not offer the ${r.challenge} challenge`);
    }
    const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
    if (responder instanceof HttpChallengeResponder) {
      responder.set(challenge.token, keyAuthorization);
    } else {
      const [key, cert] = await acme.crypto.createAlpnCertificate(authz, keyAuthorization);
      responder.set(authz.identifier.value, cert.toString(), key.toString());
    }
    await client.completeChallenge(challenge);
    await client.waitForValidStatus(challenge);
  }
  const key = await acme.crypto.createPrivateEcdsaKey('P-256');
  const [, csr] = await acme.crypto.createCsr({ commonName: r.domain, altNames: [r.domain] }, key);
  const finalized = await client.finalizeOrder(placed, csr);
  const cert = await client.getCertificate(finalized);
  return { cert, key: key.toString() };
}

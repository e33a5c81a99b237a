import { createSecureContext } from 'node:tls';
import type { Ctx } from '../../context.js';
import { coversDomain, readCertificateInfo, type CertificateInfo } from './certificate-info.js';
import {
  loadStoredCertificate,
  saveStoredCertificate,
  type StoredCertificate,
} from './certificate-files.js';
import type { PemPair, TlsCertificateSource } from './certificate-source.js';
import { notifyChallengePort, setCertificateManager } from './registry.js';
import { DEFAULT_BACKOFF, renewalTime, retryDelay, type BackoffPolicy } from './schedule.js';
import { expiryWarning, type CertificateStatus } from './status.js';

export type { CertificateStatus } from './status.js';

export interface ManagerOptions {
  /** The longest the manager sleeps between checks (default 1 h; a wake re-checks too). */
  checkIntervalMs?: number;
  backoff?: BackoffPolicy;
  /** The first wait while the CA validates a challenge (default 2 s, doubling). */
  pollMinMs?: number;
  /** Failures in a row against acme.url before one try against acme.staging_url (default 3). */
  stagingAfterFailures?: number;
}

type Loaded = StoredCertificate & { info: CertificateInfo };

/**
 * Gets and keeps a certificate for acme.domain: loads the stored one at start, issues one
 * when there is none, renews it when due (schedule.ts), retries failures with exponential
 * backoff, tries the staging directory after repeated failures, and hands each new
 * certificate to the TLS listeners. Nothing here blocks start-up: every attempt runs in the
 * background and its outcome shows in status() and the log.
 *
 * The timer never sleeps longer than checkIntervalMs and compares against the clock on each
 * tick, so a machine that slept past the renewal time renews on the next tick (or at once,
 * through recheck(), when the server learns it woke).
 */
export class CertificateManager implements TlsCertificateSource {
  private stored: Loaded | null = null;
  private readonly subscribers = new Set<(pair: PemPair) => void>();
  private running: Promise<void> | null = null;
  private runningKind: 'issuing' | 'renewing' | null = null;
  private failures = 0;
  private retryAt: number | null = null;
  private lastError: string | null = null;
  /** A staging try was made in the current run of failures (once per run). */
  private stagingTried = false;
  /** What that try showed, added to last_error until production succeeds. */
  private stagingNote: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private lastWarning: string | null = null;
  private lastWarningLoggedAt = 0;
  private readonly opts: Required<ManagerOptions>;
  /** Aborts an attempt under way when the manager closes. */
  private readonly aborter = new AbortController();

  constructor(
    private ctx: Ctx,
    opts: ManagerOptions = {},
  ) {
    this.opts = {
      checkIntervalMs: opts.checkIntervalMs ?? 3_600_000,
      backoff: opts.backoff ?? DEFAULT_BACKOFF,
      pollMinMs: opts.pollMinMs ?? 2_000,
      stagingAfterFailures: opts.stagingAfterFailures ?? 3,
    };
    this.stored = this.loadStored();
  }

  private get acme() {
    return this.ctx.config.acme;
  }

  private get log() {
    return this.ctx.log;
  }

  /** The stored certificate, if it is a usable pair for the configured domain. */
  private loadStored(): Loaded | null {
    try {
      const c = loadStoredCertificate(this.acme.storageDir);
      if (!c) return null;
      createSecureContext({ cert: c.cert, key: c.key }); // throws when the key does not match
      const info = readCertificateInfo(c.cert);
      if (!coversDomain(info, this.acme.domain)) {
        this.log.info(
          { domain: this.acme.domain, names: info.names },
          'the stored certificate is for another domain; a new one will be requested',
        );
        return null;
      }
      this.log.info(
        { domain: this.acme.domain, notAfter: new Date(info.notAfter).toISOString() },
        'loaded the stored certificate',
      );
      return { ...c, info };
    } catch (err) {
      this.log.warn({ err }, 'the stored certificate cannot be used; a new one will be requested');
      return null;
    }
  }

  /** Schedules the first check (in the background: start-up does not wait for it). */
  start(): void {
    const { config } = this.ctx;
    if (config.tlsCertificatePath) {
      this.log.warn(
        'acme is enabled but tls_certificate_path is set: the TLS listeners serve that file, ' +
          'not the ACME certificate (remove tls_certificate_path to serve it)',
      );
    } else if (!config.listeners.some((l) => l.tls)) {
      this.log.info(
        'acme is enabled but no listener has tls: true: the certificate is kept in the data ' +
          'folder and not served',
      );
    }
    if (!this.stored) {
      this.log.warn(
        { domain: this.acme.domain },
        'no certificate yet: TLS listeners without tls_certificate_path refuse connections ' +
          'until one is issued; plain-HTTP listeners serve as usual',
      );
    }
    this.schedule(0);
  }

  current(): PemPair | null {
    return this.stored ? { cert: this.stored.cert, key: this.stored.key } : null;
  }

  subscribe(onChange: (pair: PemPair) => void): () => void {
    this.subscribers.add(onChange);
    return () => this.subscribers.delete(onChange);
  }

  /** When the next attempt is due (now or in the past: at once). */
  private dueAt(): number {
    const c = this.stored;
    const needsNew = !c || (c.staging && c.directoryUrl !== this.acme.url);
    const due = needsNew
      ? this.ctx.clock.now()
      : renewalTime(c.info.notBefore, c.info.notAfter, this.acme.reprovisionThresholdDays);
    return this.retryAt === null ? due : Math.max(due, this.retryAt);
  }

  /** Checks the clock now: renews if due, updates the warning. Called on wake, and by the timer. */
  recheck(): void {
    if (this.closed || this.running) return;
    const now = this.ctx.clock.now();
    this.updateWarning(now);
    if (now >= this.dueAt()) this.attempt();
    else this.schedule(this.dueAt() - now);
  }

  /** Starts an attempt now, whatever the schedule says (POST .../certificates/renew). */
  renewNow(): void {
    if (this.closed || this.running) return;
    this.retryAt = null;
    this.attempt();
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(delayMs, this.opts.checkIntervalMs));
    this.timer = setTimeout(() => this.recheck(), wait);
    this.timer.unref();
  }

  private hasValidProduction(now: number): boolean {
    const c = this.stored;
    return !!c && !c.staging && now < c.info.notAfter;
  }

  private attempt(): void {
    const a = this.acme;
    const fallback =
      this.failures >= this.opts.stagingAfterFailures &&
      !this.stagingTried &&
      a.url !== a.stagingUrl;
    const directoryUrl = fallback ? a.stagingUrl : a.url;
    const now = this.ctx.clock.now();
    this.runningKind = this.stored && now < this.stored.info.notAfter ? 'renewing' : 'issuing';
    this.log.info(
      { domain: a.domain, directoryUrl, challenge: a.challenge },
      this.runningKind === 'renewing' ? 'renewing the certificate' : 'requesting a certificate',
    );
    const portEvent = {
      port: a.port,
      publicPort: a.challenge === 'http-01' ? (80 as const) : (443 as const),
      protocol: 'TCP' as const,
    };
    this.running = (async () => {
      const { issueCertificate } = await import('./issue.js');
      const result = await issueCertificate({
        directoryUrl,
        domain: a.domain,
        email: a.email,
        accountKeyFile: a.accountKeyFile,
        caBundle: a.caBundle,
        challenge: a.challenge,
        port: a.port,
        bindAddresses: a.bindAddresses,
        log: this.log,
        pollMinMs: this.opts.pollMinMs,
        portNeeded: (open) => notifyChallengePort(this.ctx, { open, ...portEvent }),
        signal: this.aborter.signal,
      });
      if (this.closed) return;
      const at = this.ctx.clock.now();
      if (result.ok) {
        const staging = directoryUrl === a.stagingUrl;
        if (fallback) {
          this.stagingTried = true;
          this.stagingNote =
            `The staging service (${directoryUrl}) issued a test certificate, so the set-up ` +
            `(DNS, port forwarding) works and only the production service fails; Hearth keeps ` +
            `trying it. The test certificate is not trusted by browsers or other servers.`;
          if (!this.hasValidProduction(at)) this.install({ ...result, directoryUrl, staging });
          this.retryAt = at + retryDelay(this.failures, this.opts.backoff, null);
          return;
        }
        this.install({ ...result, directoryUrl, staging });
        this.failures = 0;
        this.retryAt = null;
        this.lastError = null;
        this.stagingTried = false;
        this.stagingNote = null;
        return;
      }
      if (fallback) {
        this.stagingTried = true;
        this.stagingNote =
          `The staging service (${directoryUrl}) failed too, so the set-up itself needs ` +
          `fixing: ${result.message}`;
        this.retryAt = at + retryDelay(this.failures, this.opts.backoff, null);
      } else {
        this.failures += 1;
        this.lastError = result.message;
        this.retryAt = at + retryDelay(this.failures, this.opts.backoff, result.retryAfterMs);
      }
      this.log.warn(
        {
          domain: a.domain,
          failures: this.failures,
          retryAt: new Date(this.retryAt).toISOString(),
        },
        `certificate not obtained: ${this.errorText()}`,
      );
    })()
      .catch((err: unknown) => {
        this.failures += 1;
        this.lastError = `Getting a certificate failed: ${(err as Error).message}`;
        this.retryAt = this.ctx.clock.now() + retryDelay(this.failures, this.opts.backoff, null);
        this.log.error({ err }, 'the certificate manager failed');
      })
      .finally(() => {
        this.running = null;
        this.runningKind = null;
        if (this.closed) return;
        this.updateWarning(this.ctx.clock.now());
        this.schedule(this.dueAt() - this.ctx.clock.now());
      });
  }

  /** Stores a new certificate and hands it to the listeners. */
  private install(c: StoredCertificate): void {
    const info = readCertificateInfo(c.cert);
    saveStoredCertificate(this.acme.storageDir, c);
    this.stored = { ...c, info };
    this.log.info(
      {
        domain: this.acme.domain,
        issuer: info.issuer,
        notAfter: new Date(info.notAfter).toISOString(),
        staging: c.staging,
      },
      'certificate obtained and installed',
    );
    for (const s of this.subscribers) {
      try {
        s({ cert: c.cert, key: c.key });
      } catch (err) {
        this.log.error({ err }, 'a TLS listener could not take the new certificate');
      }
    }
  }

  /** The last error, with what the staging try showed. */
  private errorText(): string | null {
    if (!this.lastError) return null;
    return this.stagingNote ? `${this.lastError} ${this.stagingNote}` : this.lastError;
  }

  private warningAt(now: number): string | null {
    return this.stored ? expiryWarning(this.acme, this.stored, this.errorText(), now) : null;
  }

  /** Logs the warning when it changes, and daily while it lasts. */
  private updateWarning(now: number): void {
    const w = this.warningAt(now);
    if (w && (w !== this.lastWarning || now - this.lastWarningLoggedAt >= 86_400_000)) {
      this.log.warn({ domain: this.acme.domain }, w);
      this.lastWarningLoggedAt = now;
    }
    this.lastWarning = w;
  }

  status(): CertificateStatus {
    const now = this.ctx.clock.now();
    const c = this.stored;
    const valid = !!c && now >= c.info.notBefore && now < c.info.notAfter;
    return {
      enabled: true,
      domain: this.acme.domain,
      status: this.runningKind ?? (valid ? 'valid' : this.lastError ? 'error' : 'none'),
      not_before: c?.info.notBefore ?? null,
      not_after: c?.info.notAfter ?? null,
      issuer: c?.info.issuer ?? null,
      staging: c?.staging ?? false,
      last_error: this.errorText(),
      next_renewal_ts: this.closed || this.running ? null : this.dueAt(),
      warning: this.warningAt(now),
      challenge: this.acme.challenge,
      directory_url: this.acme.url,
    };
  }

  /**
   * Moves to the context that replaced this one (the setup wizard applied new settings):
   * registers there, reloads the stored certificate if the domain changed, checks again.
   * The TLS listeners keep their subscription.
   */
  adopt(ctx: Ctx): void {
    const domainChanged = ctx.config.acme.domain !== this.acme.domain;
    setCertificateManager(this.ctx, null);
    this.ctx = ctx;
    setCertificateManager(ctx, this);
    if (domainChanged) {
      this.stored = this.loadStored();
      this.failures = 0;
      this.retryAt = null;
      this.lastError = null;
      this.stagingTried = false;
      this.stagingNote = null;
    }
    this.recheck();
  }

  /** Waits for a running attempt to settle (tests, and the renew endpoint's callers). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops the timer and aborts an attempt under way (its challenge listener closes at once). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.aborter.abort();
    setCertificateManager(this.ctx, null);
    if (this.running) {
      await Promise.race([this.running, new Promise((r) => setTimeout(r, 3_000).unref())]);
    }
  }
}

/**
 * Makes the manager for acme.enabled, registers it for the admin endpoints and starts it.
 * Returns at once with the stored certificate (if any) loaded for the listeners.
 */
export function startCertificateManager(ctx: Ctx, opts: ManagerOptions = {}): CertificateManager {
  const manager = new CertificateManager(ctx, opts);
  setCertificateManager(ctx, manager);
  manager.start();
  return manager;
}

import type { Clock } from '../../core/clock.js';
import type { PortMappingPort } from '../../core/config/port-mapping.js';
import type { Logger } from '../../core/logger.js';
import {
  addPortMapping,
  deletePortMapping,
  getExternalIp,
  readIgd,
  UpnpActionError,
  type Igd,
} from './igd.js';
import { addressFingerprint, localAddressToward } from './local-address.js';
import { manualSteps } from './manual-steps.js';
import { natKindOf, type NatKind } from './nat-kind.js';
import { refusalInWords, statusMessage } from './status-message.js';
import { searchGateways } from './ssdp.js';

export type PortMappingState =
  'disabled' | 'searching' | 'mapped' | 'no_gateway' | 'refused' | 'error';

/** GET /_hearth/admin/v1/port_mapping's answer (docs/ports.md). */
export interface PortMappingStatus {
  status: PortMappingState;
  gateway: string | null;
  gateway_name: string | null;
  local_ip: string | null;
  external_ip: string | null;
  nat: NatKind;
  mappings: {
    protocol: 'TCP';
    external_port: number;
    internal_port: number;
    lease_seconds: number;
    expires_ts: number | null;
  }[];
  message: string;
  manual_steps?: string[];
  /** When the router last reported a different external address than before, and which. */
  external_ip_changed_ts: number | null;
  previous_external_ip: string | null;
}

export interface PortMapperOptions {
  log: Logger;
  clock: Clock;
  /** Mapped for as long as the server runs (the federation port). */
  ports: PortMappingPort[];
  leaseSeconds: number;
  externalIpCheckMs: number;
  discoveryTimeoutMs: number;
  /** A problem of this server's own set-up to tell with any status (a loopback-only listener). */
  setupWarning: string | null;
}

interface Wanted {
  port: PortMappingPort;
  purpose: string;
}

interface Granted {
  leaseSeconds: number;
  expiresTs: number | null;
}

/** Searching again after no router answered, or after an error talking to it. */
const RETRY_NO_GATEWAY_MS = 5 * 60_000;
const RETRY_ERROR_MS = 60_000;
/** Removing mappings at quit must not hold the quit up for long. */
const UNMAP_TIMEOUT_MS = 2_000;

/**
 * Keeps ports forwarded on the home router over UPnP: finds the router, maps the ports,
 * renews each lease at half its length (Syncthing's habit: 60 minutes renewed every 30),
 * watches the external address and the machine's own addresses, maps again after a
 * network change or a wake, and removes its mappings on close. Every step runs on one
 * queue, so a renewal never races a re-discovery or a temporary mapping.
 */
export class PortMapper {
  private readonly log: Logger;
  private state: PortMappingState = 'searching';
  private igd: Igd | null = null;
  private localIp: string | null = null;
  private externalIp: string | null = null;
  private previousExternalIp: string | null = null;
  private externalIpChangedTs: number | null = null;
  private fingerprint = '';
  private problem: string | null = null;
  private readonly wanted = new Map<number, Wanted>();
  private readonly granted = new Map<number, Granted>();
  private readonly refused = new Map<number, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private renewTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly closeHooks: (() => void)[] = [];
  /** The configured ports: mapped as long as the server runs. */
  private readonly permanent: ReadonlySet<number>;

  constructor(private readonly opts: PortMapperOptions) {
    this.log = opts.log.child({ component: 'port-mapping' });
    for (const port of opts.ports)
      this.wanted.set(port.externalPort, { port, purpose: 'federation' });
    this.permanent = new Set(opts.ports.map((p) => p.externalPort));
  }

  /** Starts the first search; never waits for it (start-up must not wait for the router). */
  start(): void {
    void this.enqueue(() => this.refresh('start'));
  }

  /** After a wake or a network change: find the router again and map everything again. */
  resume(): void {
    void this.enqueue(() => this.refresh('resume'));
  }

  /**
   * Maps one more port (port 80 while a certificate is issued). Resolves true once the
   * router has mapped it, false when no router does (the reason is in the status).
   */
  ensure(port: PortMappingPort, purpose: string): Promise<boolean> {
    return this.enqueue(async () => {
      // A configured port stays as configured (and stays mapped after remove()).
      if (this.permanent.has(port.externalPort)) return this.granted.has(port.externalPort);
      this.wanted.set(port.externalPort, { port, purpose });
      if (!this.igd) return false;
      return this.mapOne(this.igd, port.externalPort);
    });
  }

  /** Removes a mapping made with ensure(). */
  remove(externalPort: number): Promise<void> {
    return this.enqueue(async () => {
      if (this.permanent.has(externalPort)) return;
      this.wanted.delete(externalPort);
      this.refused.delete(externalPort);
      if (this.igd && this.granted.delete(externalPort)) {
        await deletePortMapping(this.igd, { externalPort, protocol: 'TCP' }).catch((err: unknown) =>
          this.log.warn({ err, externalPort }, 'could not remove a port mapping'),
        );
      }
      this.settleState();
    });
  }

  /** Registers something to undo at close (a subscription). */
  onClose(fn: () => void): void {
    this.closeHooks.push(fn);
  }

  /** Stops the timers and removes every mapping this server made (quickly: it is quitting). */
  async close(): Promise<void> {
    this.closed = true;
    for (const fn of this.closeHooks.splice(0)) fn();
    this.clearTimers();
    await this.queue.catch(() => {});
    const igd = this.igd;
    if (!igd) return;
    await Promise.all(
      [...this.granted.keys()].map((externalPort) =>
        deletePortMapping(igd, { externalPort, protocol: 'TCP' }, UNMAP_TIMEOUT_MS).then(
          () => this.log.info({ externalPort }, 'removed the port mapping'),
          (err: unknown) => this.log.warn({ err, externalPort }, 'could not remove a port mapping'),
        ),
      ),
    );
    this.granted.clear();
  }

  status(): PortMappingStatus {
    const ports = [...this.wanted.values()].map((w) => w.port);
    const needsHands = this.state !== 'mapped' && this.state !== 'searching';
    const nat = natKindOf(this.externalIp);
    const steps =
      needsHands || nat === 'double'
        ? manualSteps({
            ports,
            localIp: this.localIp,
            gateway: this.igd?.address ?? null,
            doubleNat: nat === 'double',
          })
        : undefined;
    return {
      status: this.state,
      gateway: this.igd?.address ?? null,
      gateway_name: this.igd?.name ?? null,
      local_ip: this.localIp,
      external_ip: this.externalIp,
      nat: this.igd ? nat : 'unknown',
      mappings: [...this.granted.entries()].map(([externalPort, g]) => ({
        protocol: 'TCP' as const,
        external_port: externalPort,
        internal_port: this.wanted.get(externalPort)?.port.internalPort ?? externalPort,
        lease_seconds: g.leaseSeconds,
        expires_ts: g.expiresTs,
      })),
      message: statusMessage({
        state: this.state,
        router: this.igd ? { address: this.igd.address, name: this.igd.name } : null,
        mapped: [...this.granted.keys()].map((p) => ({
          externalPort: p,
          internalPort: this.wanted.get(p)?.port.internalPort ?? p,
        })),
        wantedPorts: [...this.wanted.keys()],
        refused: [...this.refused.entries()],
        localIp: this.localIp,
        externalIp: this.externalIp,
        nat,
        problem: this.problem,
        setupWarning: this.opts.setupWarning,
      }),
      ...(steps ? { manual_steps: steps } : {}),
      external_ip_changed_ts: this.externalIpChangedTs,
      previous_external_ip: this.previousExternalIp,
    };
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => (this.closed ? (undefined as T) : fn()));
    this.queue = run.catch((err: unknown) => this.log.error({ err }, 'port mapping failed'));
    return run;
  }

  /** Finds the router, learns the addresses, maps every wanted port, plans the next steps. */
  private async refresh(why: string): Promise<void> {
    this.clearTimers();
    this.state = 'searching';
    this.problem = null;
    this.fingerprint = addressFingerprint();
    const hadRouter = this.igd !== null;
    try {
      this.igd = await this.findGateway();
      if (!this.igd) {
        this.granted.clear();
        this.localIp = await localAddressToward('192.0.2.1'); // TEST-NET: picks the default route
        this.state = 'no_gateway';
        this.log.warn(
          { why },
          'no UPnP router answered: forward the federation port by hand (docs/ports.md)',
        );
        // A router seen moments ago is likely rebooting: look again soon.
        this.retryTimer = this.timer(
          () => this.refresh('retry'),
          hadRouter ? this.soonMs() : RETRY_NO_GATEWAY_MS,
        );
        return;
      }
      this.localIp = await localAddressToward(this.igd.address);
      await this.readExternalIp();
      this.refused.clear();
      for (const externalPort of this.wanted.keys()) await this.mapOne(this.igd, externalPort);
      const state = this.settleState();
      this.log.info(
        { why, gateway: this.igd.address, externalIp: this.externalIp, status: state },
        state === 'mapped' ? 'ports forwarded by the router' : 'the router refused a port mapping',
      );
      this.scheduleRenewal();
    } catch (err) {
      this.state = 'error';
      this.problem = (err as Error).message;
      this.log.warn({ err, why }, 'could not talk to the UPnP router; trying again shortly');
      this.retryTimer = this.timer(() => this.refresh('retry'), this.soonMs());
    }
  }

  private async findGateway(): Promise<Igd | null> {
    const answers = await searchGateways({ timeoutMs: this.opts.discoveryTimeoutMs });
    for (const a of answers) {
      const igd = await readIgd(a.location).catch((err: unknown) => {
        this.log.debug(
          { err, location: a.location.href },
          'a device answered but has no description',
        );
        return null;
      });
      if (igd) return igd;
    }
    return null;
  }

  /** Maps (or renews) one wanted port; a refusal is recorded, a network error thrown. */
  private async mapOne(igd: Igd, externalPort: number): Promise<boolean> {
    const w = this.wanted.get(externalPort);
    if (!w || !this.localIp) return false;
    try {
      const lease = await addPortMapping(igd, {
        externalPort,
        internalPort: w.port.internalPort,
        internalClient: this.localIp,
        protocol: 'TCP',
        description: `Hearth (${w.purpose})`,
        leaseSeconds: this.opts.leaseSeconds,
      });
      this.granted.set(externalPort, {
        leaseSeconds: lease,
        expiresTs: lease ? this.opts.clock.now() + lease * 1000 : null,
      });
      this.refused.delete(externalPort);
      return true;
    } catch (err) {
      if (!(err instanceof UpnpActionError)) throw err;
      this.granted.delete(externalPort);
      this.refused.set(externalPort, refusalInWords(err));
      this.log.warn({ externalPort, code: err.code, description: err.description }, err.message);
      return false;
    }
  }

  private async readExternalIp(): Promise<void> {
    if (!this.igd) return;
    const ip = (await getExternalIp(this.igd)) || null;
    const usable = ip && ip !== '0.0.0.0' ? ip : null;
    if (this.externalIp && usable && usable !== this.externalIp) {
      this.previousExternalIp = this.externalIp;
      this.externalIpChangedTs = this.opts.clock.now();
      this.log.warn(
        { previous: this.externalIp, current: usable },
        'the external IP address changed: other servers find this one by name, so its DNS record must follow',
      );
    }
    this.externalIp = usable;
  }

  private settleState(): PortMappingState {
    if (this.igd) this.state = this.refused.size ? 'refused' : 'mapped';
    return this.state;
  }

  /** Renewal at half the shortest lease, and the external address check, both on the queue. */
  private scheduleRenewal(): void {
    const leases = [...this.granted.values()].map((g) => g.leaseSeconds).filter((l) => l > 0);
    if (leases.length) {
      this.renewTimer = this.timer(() => this.renew(), (Math.min(...leases) * 1000) / 2);
    }
    if (this.opts.externalIpCheckMs > 0) {
      this.checkTimer = this.timer(() => this.check(), this.opts.externalIpCheckMs);
    }
  }

  private async renew(): Promise<void> {
    if (!this.igd) return;
    if (addressFingerprint() !== this.fingerprint) return this.refresh('network change');
    try {
      for (const externalPort of this.wanted.keys()) await this.mapOne(this.igd, externalPort);
    } catch (err) {
      // The router is gone or changed address (another network, a router restart).
      this.log.info({ err }, 'the router did not answer the renewal: searching again');
      return this.refresh('renewal failed');
    }
    this.settleState();
    this.log.debug({ mappings: this.granted.size }, 'port mappings renewed');
    if (this.renewTimer) clearTimeout(this.renewTimer);
    const leases = [...this.granted.values()].map((g) => g.leaseSeconds).filter((l) => l > 0);
    if (leases.length)
      this.renewTimer = this.timer(() => this.renew(), (Math.min(...leases) * 1000) / 2);
  }

  private async check(): Promise<void> {
    if (addressFingerprint() !== this.fingerprint) return this.refresh('network change');
    try {
      await this.readExternalIp();
    } catch (err) {
      this.log.info({ err }, 'the router did not answer: searching again');
      return this.refresh('router gone');
    }
    this.checkTimer = this.timer(() => this.check(), this.opts.externalIpCheckMs);
  }

  /** The next attempt after an error: at the next external address check, at most a minute. */
  private soonMs(): number {
    const check = this.opts.externalIpCheckMs;
    return check > 0 ? Math.min(check, RETRY_ERROR_MS) : RETRY_ERROR_MS;
  }

  private timer(fn: () => Promise<void>, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => void this.enqueue(fn), ms);
    t.unref();
    return t;
  }

  private clearTimers(): void {
    for (const t of [this.renewTimer, this.checkTimer, this.retryTimer]) if (t) clearTimeout(t);
    this.renewTimer = this.checkTimer = this.retryTimer = null;
  }
}

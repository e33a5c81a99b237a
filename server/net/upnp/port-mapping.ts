import type { Ctx } from '../../context.js';
import type { PortMappingPort } from '../../core/config/port-mapping.js';
import type { Config } from '../../core/config/types.js';
import { onChallengePortNeeded } from '../acme/registry.js';
import { lazyModule } from '../../core/lazy-module.js';
import type { PortMapper, PortMappingStatus } from './port-mapper.js';

/**
 * The running server's port mapping, reached through its context: main.ts starts it, the
 * admin endpoint reads it, and the certificate code (server/net/acme/) asks it for port 80
 * while an HTTP-01 challenge is open. Kept beside the context rather than in it, like the
 * federation pause, so a context built by tests carries none.
 */
const mappers = new WeakMap<Ctx, PortMapper>();

/** The port other servers connect to when nothing delegates elsewhere (spec: server discovery). */
const FEDERATION_PORT = 8448;

/** The SSDP and IGD client, loaded only by a server that maps ports (most never do). */
const loadPortMapper = lazyModule(() => import('./port-mapper.js'));

/**
 * Starts port mapping when `port_mapping.enabled` is set: the search runs in the
 * background, start-up does not wait for the router. Returns the mapper (main.ts closes
 * and resumes it), or null when disabled.
 */
export async function startPortMapping(ctx: Ctx): Promise<PortMapper | null> {
  const pm = ctx.config.portMapping;
  if (!pm.enabled) return null;
  const { ports, warning } = portsToMap(ctx.config);
  const { PortMapper } = await loadPortMapper();
  const mapper = new PortMapper({
    log: ctx.log,
    clock: ctx.clock,
    ports,
    leaseSeconds: pm.leaseSeconds,
    externalIpCheckMs: pm.externalIpCheckMs,
    discoveryTimeoutMs: pm.discoveryTimeoutMs,
    setupWarning: warning,
  });
  if (warning) ctx.log.warn(warning);
  if (!ports.length) return null;
  mappers.set(ctx, mapper);
  // While a certificate is issued, the CA must reach the challenge listener: forward its
  // public port (80 for http-01, 443 for tls-alpn-01) to acme.port, and remove it after.
  mapper.onClose(
    onChallengePortNeeded(ctx, async (e) => {
      if (e.open) await ensureMapping(ctx, { externalPort: e.publicPort, internalPort: e.port });
      else await removeMapping(ctx, e.publicPort);
    }),
  );
  mapper.start();
  return mapper;
}

/** What GET /_hearth/admin/v1/port_mapping shows. */
export function getPortMappingStatus(ctx: Ctx): PortMappingStatus {
  const mapper = mappers.get(ctx);
  if (mapper) return mapper.status();
  return {
    status: 'disabled',
    gateway: null,
    gateway_name: null,
    local_ip: null,
    external_ip: null,
    nat: 'unknown',
    mappings: [],
    message:
      'Automatic port forwarding is off. Turn it on with port_mapping: {enabled: true} in ' +
      'homeserver.yaml, or forward the federation port on your router by hand (docs/ports.md).',
    external_ip_changed_ts: null,
    previous_external_ip: null,
  };
}

/**
 * Asks the router to forward `externalPort` (default: the same as `internalPort`) to this
 * machine until removeMapping. Resolves false when port mapping is off or no router does
 * it (never rejects: the caller may still succeed if the person forwarded it by hand).
 */
export async function ensureMapping(
  ctx: Ctx,
  port: { externalPort: number; internalPort?: number },
  purpose = 'certificate',
): Promise<boolean> {
  const mapper = mappers.get(ctx);
  if (!mapper) return false;
  return mapper
    .ensure(
      { externalPort: port.externalPort, internalPort: port.internalPort ?? port.externalPort },
      purpose,
    )
    .catch(() => false);
}

/** Removes a mapping made with ensureMapping (a no-op when there is none). */
export async function removeMapping(ctx: Ctx, externalPort: number): Promise<void> {
  await mappers
    .get(ctx)
    ?.remove(externalPort)
    .catch(() => {});
}

/**
 * Runs `fn` while the router forwards `externalPort` here, then removes the mapping, for
 * an ACME HTTP-01 challenge on port 80: `withTemporaryMapping(ctx, { externalPort: 80,
 * internalPort: acmePort }, (mapped) => issue())`. `mapped` says whether the router did.
 */
export async function withTemporaryMapping<T>(
  ctx: Ctx,
  port: { externalPort: number; internalPort?: number },
  fn: (mapped: boolean) => Promise<T>,
): Promise<T> {
  const mapped = await ensureMapping(ctx, port, 'certificate');
  try {
    return await fn(mapped);
  } finally {
    if (mapped) await removeMapping(ctx, port.externalPort);
  }
}

/**
 * The configured ports, or external 8448 to the listener serving federation; with a
 * warning when a mapped port has no listener reachable from the network.
 */
function portsToMap(config: Config): { ports: PortMappingPort[]; warning: string | null } {
  let ports = config.portMapping.ports;
  if (!ports) {
    const federation = config.listeners.find((l) => l.resources.has('federation'));
    if (!federation) {
      return {
        ports: [],
        warning: 'No listener serves federation, so there is no port to forward.',
      };
    }
    ports = [{ externalPort: FEDERATION_PORT, internalPort: federation.port }];
  }
  const problems: string[] = [];
  for (const p of ports) {
    const listener = config.listeners.find((l) => l.port === p.internalPort);
    if (!listener) {
      problems.push(
        `No listener is configured on port ${p.internalPort}, which port ${p.externalPort} is forwarded to.`,
      );
    } else if (listener.bindAddresses.every((a) => LOOPBACK.has(a))) {
      problems.push(
        `The listener on port ${p.internalPort} accepts connections only from this machine ` +
          `(bind_addresses: ${listener.bindAddresses.join(', ')}): add '0.0.0.0' to its ` +
          'bind_addresses, or forwarded connections cannot reach Hearth.',
      );
    }
  }
  return { ports, warning: problems.length ? problems.join(' ') : null };
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

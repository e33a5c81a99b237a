import { Type } from '@sinclair/typebox';
import { parseDuration } from './units.js';

/**
 * The `port_mapping:` section of homeserver.yaml (new in Hearth; Synapse has none): asking
 * the home router over UPnP to forward the federation port here (server/net/upnp/,
 * docs/ports.md). Kept together so the shared config files only spread it in.
 */

const Duration = Type.Union([Type.Number({ minimum: 0 }), Type.String()], {
  description: 'a duration: milliseconds, or a string like "5m", "1h"',
});

const Port = Type.Integer({ minimum: 1, maximum: 65535 });

/** The keys, spread into ConfigSchema. */
export const PORT_MAPPING_KEYS = {
  port_mapping: Type.Optional(
    Type.Object({
      enabled: Type.Optional(Type.Boolean()),
      lease: Type.Optional(Duration),
      ports: Type.Optional(
        Type.Array(
          Type.Union([
            Port,
            Type.Object({ external_port: Type.Optional(Port), internal_port: Port }),
          ]),
          { description: 'a list of ports, each a number or {external_port, internal_port}' },
        ),
      ),
      external_ip_check: Type.Optional(Duration),
      discovery_timeout: Type.Optional(Duration),
    }),
  ),
};

/** One port forwarded by the router: connections to `externalPort` reach `internalPort` here. */
export interface PortMappingPort {
  externalPort: number;
  internalPort: number;
}

export interface PortMappingConfig {
  portMapping: {
    /** Off by default: a server should not open ports on the router unless asked to. */
    enabled: boolean;
    /** Lease asked of the router (default 1 hour); renewed at half of it, as Syncthing does. */
    leaseSeconds: number;
    /** Explicit ports, or null: external 8448 to the port of the listener serving federation. */
    ports: PortMappingPort[] | null;
    /** How often the router is asked for its external address (default 5 minutes; 0: never). */
    externalIpCheckMs: number;
    /** How long to wait for routers to answer the SSDP search (default 3 seconds). */
    discoveryTimeoutMs: number;
  };
}

interface RawPortMapping {
  port_mapping?: {
    enabled?: boolean;
    lease?: number | string;
    ports?: (number | { external_port?: number; internal_port: number })[];
    external_ip_check?: number | string;
    discovery_timeout?: number | string;
  };
}

/** IGDv2 caps a lease at a week (UPnP-gw-WANIPConnection-v2, NewLeaseDuration). */
const MAX_LEASE_SECONDS = 604_800;

/** Resolves the section; a bad value adds a problem to `later` (reported with the others). */
export function resolvePortMappingConfig(c: RawPortMapping, later: string[]): PortMappingConfig {
  const raw = c.port_mapping ?? {};
  const duration = (key: string, v: unknown, dflt: number): number => {
    if (v === undefined) return dflt;
    const ms = parseDuration(v);
    if (ms === null) later.push(`port_mapping.${key}: expected a duration such as "5m"`);
    return ms ?? dflt;
  };
  const leaseMs = duration('lease', raw.lease, 3_600_000);
  const leaseSeconds = Math.round(leaseMs / 1000);
  if (leaseSeconds < 2 || leaseSeconds > MAX_LEASE_SECONDS) {
    later.push(
      'port_mapping.lease: expected between 2 seconds and 7 days (routers cap it at a week)',
    );
  }
  const ports = raw.ports?.map((p) =>
    typeof p === 'number'
      ? { externalPort: p, internalPort: p }
      : { externalPort: p.external_port ?? p.internal_port, internalPort: p.internal_port },
  );
  if (ports && new Set(ports.map((p) => p.externalPort)).size !== ports.length) {
    later.push('port_mapping.ports: each external port may appear only once');
  }
  return {
    portMapping: {
      enabled: raw.enabled ?? false,
      leaseSeconds,
      ports: ports ?? null,
      externalIpCheckMs: duration('external_ip_check', raw.external_ip_check, 300_000),
      discoveryTimeoutMs: duration('discovery_timeout', raw.discovery_timeout, 3_000),
    },
  };
}

import type { Server } from 'node:net';
import type { Logger } from '../../core/logger.js';
import { ChallengePortError } from './problems.js';

/**
 * Binds one server per address of acme.bind_addresses to `port`, as the HTTP listeners do:
 * an IPv6 address the machine lacks is skipped when another bound; `::` is IPv6-only when
 * the list also holds an IPv4 address (Linux would otherwise give `::` the IPv4 side too,
 * and `0.0.0.0` would fail as in use). Throws ChallengePortError when the port is taken or
 * not permitted; the servers already bound are closed then.
 */
export async function listenOnEach<S extends Server>(
  make: () => S,
  port: number,
  hosts: string[],
  log: Logger,
): Promise<S[]> {
  const servers: S[] = [];
  const hasV4 = hosts.some((h) => !h.includes(':'));
  try {
    for (const host of hosts) {
      const server = make();
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ port, host, ipv6Only: host.includes(':') && hasV4 }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
        if (host.includes(':') && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) {
          log.warn({ host }, 'IPv6 address not available here; the challenge listener skips it');
          continue;
        }
        throw new ChallengePortError(code, port, host);
      }
      servers.push(server);
    }
    if (!servers.length) throw new ChallengePortError('EADDRNOTAVAIL', port, hosts.join(', '));
  } catch (err) {
    await closeAll(servers);
    throw err;
  }
  return servers;
}

export function closeAll(servers: Server[]): Promise<void> {
  return Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
        }),
    ),
  ).then(() => undefined);
}

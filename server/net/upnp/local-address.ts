import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';

/**
 * The address of this machine on the way to `host`: connecting a UDP socket picks the
 * route (and so the source address) without sending a packet. Falls back to the first
 * non-loopback IPv4 address when there is no route; null when there is none at all.
 */
export async function localAddressToward(host: string): Promise<string | null> {
  const socket = createSocket('udp4');
  try {
    return await new Promise<string>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(9, host, () => resolve(socket.address().address));
    });
  } catch {
    return firstLanAddress();
  } finally {
    socket.close();
  }
}

/** A stable fingerprint of this machine's IPv4 addresses: it changes on a network change. */
export function addressFingerprint(): string {
  return Object.entries(networkInterfaces())
    .flatMap(([name, infos]) =>
      (infos ?? [])
        .filter((i) => i.family === 'IPv4' && !i.internal)
        .map((i) => `${name}=${i.address}`),
    )
    .sort()
    .join(',');
}

function firstLanAddress(): string | null {
  for (const infos of Object.values(networkInterfaces())) {
    for (const i of infos ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  }
  return null;
}

import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';

/** SSDP's multicast group and port (UPnP Device Architecture 1.1, 1.3.2). */
const SSDP_ADDRESS = '239.255.255.250';
const SSDP_PORT = 1900;

/**
 * What is searched for: IGD v1 and v2 and their WAN connection services. A v2 router also
 * answers v1 searches, and some routers answer only service searches; asking for all of
 * them finds the most routers.
 */
const SEARCH_TARGETS = [
  'urn:schemas-upnp-org:device:InternetGatewayDevice:1',
  'urn:schemas-upnp-org:device:InternetGatewayDevice:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANIPConnection:2',
  'urn:schemas-upnp-org:service:WANPPPConnection:1',
];

/** A device that answered: where its description is, and from which address it answered. */
export interface SsdpAnswer {
  location: URL;
  from: string;
}

/**
 * Multicasts M-SEARCH requests on every IPv4 interface (except loopback) and collects the
 * distinct description URLs that answer within `timeoutMs`. Resolves with none when no
 * router answers; the socket is bound to an ephemeral port (answers are unicast back to
 * it), so nothing else on the machine that listens on 1900 is disturbed.
 */
export async function searchGateways(opts: {
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<SsdpAnswer[]> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  const found = new Map<string, SsdpAnswer>();
  socket.on('message', (msg, rinfo) => {
    const location = headerOf(msg.toString('utf8'), 'location');
    if (!location) return;
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      return;
    }
    // Only plain-HTTP descriptions on the answering device itself: an answer pointing
    // elsewhere would make this server fetch whatever a LAN device names.
    if (url.protocol !== 'http:' || url.hostname !== rinfo.address) return;
    if (!found.has(url.href)) found.set(url.href, { location: url, from: rinfo.address });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => {}); // a late ICMP error on one interface is not fatal
    await sendSearches(socket);
    await wait(opts.timeoutMs, opts.signal);
  } finally {
    socket.close();
  }
  return [...found.values()];
}

async function sendSearches(socket: Socket): Promise<void> {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((i) => i && i.family === 'IPv4' && !i.internal)
    .map((i) => i!.address);
  for (const address of addresses.length ? addresses : [null]) {
    if (address) socket.setMulticastInterface(address);
    for (const st of SEARCH_TARGETS) {
      const msg = Buffer.from(
        'M-SEARCH * HTTP/1.1\r\n' +
          `HOST: ${SSDP_ADDRESS}:${SSDP_PORT}\r\n` +
          'MAN: "ssdp:discover"\r\n' +
          'MX: 2\r\n' +
          `ST: ${st}\r\n\r\n`,
      );
      await new Promise<void>((resolve) =>
        // A send error (no route on this interface) only means no router there.
        socket.send(msg, SSDP_PORT, SSDP_ADDRESS, () => resolve()),
      );
    }
  }
}

function headerOf(message: string, name: string): string | null {
  for (const line of message.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).trim().toLowerCase() === name) return line.slice(i + 1).trim();
  }
  return null;
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

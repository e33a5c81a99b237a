import { gatewayRequest } from './gateway-http.js';

/**
 * A small client for an Internet Gateway Device's WAN connection service: the three SOAP
 * actions Hearth needs (AddPortMapping, DeletePortMapping, GetExternalIPAddress), which
 * IGD v1 and v2 share with the same arguments (UPnP-gw-WANIPConnection-v1 and -v2, 2.4).
 * Why not @achingbrain/nat-port-mapper: docs/ports.md, "Why Hearth speaks UPnP itself".
 */

/** WAN connection services, best first: v2 answers lease rules most precisely. */
const SERVICE_TYPES = [
  'urn:schemas-upnp-org:service:WANIPConnection:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANPPPConnection:1',
];

const REQUEST_TIMEOUT_MS = 5_000;

/** The router's port-mapping service, as its description names it. */
export interface Igd {
  /** The description URL the router announced. */
  location: URL;
  /** The router's address on the LAN. */
  address: string;
  /** Its friendly name or model, for people ("FRITZ!Box 7590"), when it gives one. */
  name: string | null;
  serviceType: string;
  controlUrl: URL;
}

/** The router refused an action: a UPnP error code (718 ConflictInMappingEntry, ...). */
export class UpnpActionError extends Error {
  constructor(
    readonly action: string,
    readonly code: number,
    readonly description: string,
  ) {
    super(`the router refused ${action}: ${code} ${description}`);
    this.name = 'UpnpActionError';
  }
}

/**
 * Fetches a device description and finds its WAN connection service. Resolves null when
 * the device has none (a media server answering the search, say); rejects when the
 * device cannot be reached.
 */
export async function readIgd(location: URL): Promise<Igd | null> {
  const res = await gatewayRequest(location, { timeoutMs: REQUEST_TIMEOUT_MS });
  if (res.status !== 200) return null;
  const xml = res.body;
  const base = textOf(xml, 'URLBase');
  const services = blocksOf(xml, 'service').map((s) => ({
    type: textOf(s, 'serviceType'),
    control: textOf(s, 'controlURL'),
  }));
  for (const type of SERVICE_TYPES) {
    const service = services.find((s) => s.type === type && s.control);
    if (!service) continue;
    let controlUrl: URL;
    try {
      controlUrl = new URL(service.control!, base || location);
    } catch {
      continue;
    }
    // The control URL must stay on the device that answered (see ssdp.ts).
    if (controlUrl.protocol !== 'http:' || controlUrl.hostname !== location.hostname) continue;
    return {
      location,
      address: location.hostname,
      name: textOf(xml, 'friendlyName') ?? textOf(xml, 'modelName'),
      serviceType: type,
      controlUrl,
    };
  }
  return null;
}

/** GetExternalIPAddress: the router's address on its internet side ('' when it has none). */
export async function getExternalIp(igd: Igd): Promise<string> {
  const out = await soapCall(igd, 'GetExternalIPAddress', []);
  return (out.NewExternalIPAddress ?? '').trim();
}

export interface MappingRequest {
  externalPort: number;
  internalPort: number;
  internalClient: string;
  protocol: 'TCP' | 'UDP';
  description: string;
  leaseSeconds: number;
}

/**
 * AddPortMapping; also renews a mapping (the same request again restarts its lease).
 * Resolves with the lease the router granted: some IGD v1 routers only take permanent
 * mappings (725 OnlyPermanentLeasesSupported), and then 0 is asked for and granted.
 */
export async function addPortMapping(igd: Igd, m: MappingRequest): Promise<number> {
  const args = (lease: number): [string, string][] => [
    ['NewRemoteHost', ''],
    ['NewExternalPort', String(m.externalPort)],
    ['NewProtocol', m.protocol],
    ['NewInternalPort', String(m.internalPort)],
    ['NewInternalClient', m.internalClient],
    ['NewEnabled', '1'],
    ['NewPortMappingDescription', m.description],
    ['NewLeaseDuration', String(lease)],
  ];
  try {
    await soapCall(igd, 'AddPortMapping', args(m.leaseSeconds));
    return m.leaseSeconds;
  } catch (err) {
    if (!(err instanceof UpnpActionError) || err.code !== 725) throw err;
    await soapCall(igd, 'AddPortMapping', args(0));
    return 0;
  }
}

/** DeletePortMapping; a mapping already gone (714 NoSuchEntryInArray) counts as deleted. */
export async function deletePortMapping(
  igd: Igd,
  m: { externalPort: number; protocol: 'TCP' | 'UDP' },
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<void> {
  try {
    await soapCall(
      igd,
      'DeletePortMapping',
      [
        ['NewRemoteHost', ''],
        ['NewExternalPort', String(m.externalPort)],
        ['NewProtocol', m.protocol],
      ],
      timeoutMs,
    );
  } catch (err) {
    if (err instanceof UpnpActionError && err.code === 714) return;
    throw err;
  }
}

/** One SOAP action; resolves with the answer's arguments by name. */
async function soapCall(
  igd: Igd,
  action: string,
  args: [string, string][],
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<Record<string, string>> {
  const body =
    '<?xml version="1.0"?>\r\n' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
    's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>' +
    `<u:${action} xmlns:u="${igd.serviceType}">` +
    args.map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`).join('') +
    `</u:${action}></s:Body></s:Envelope>\r\n`;
  const res = await gatewayRequest(igd.controlUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'text/xml; charset="utf-8"',
      SOAPAction: `"${igd.serviceType}#${action}"`,
    },
    body,
    timeoutMs,
  });
  if (res.status !== 200) {
    const code = Number(textOf(res.body, 'errorCode'));
    if (Number.isInteger(code) && code > 0) {
      throw new UpnpActionError(action, code, textOf(res.body, 'errorDescription') ?? '');
    }
    throw new Error(`the router answered ${action} with HTTP ${res.status}`);
  }
  const answer = blocksOf(res.body, `${action}Response`)[0] ?? '';
  const out: Record<string, string> = {};
  for (const m of answer.matchAll(/<(?:[\w.-]+:)?(New\w+)\b[^>]*>([\s\S]*?)<\//g)) {
    out[m[1]!] = unescapeXml(m[2]!);
  }
  return out;
}

/** The inner XML of every element named `name` (any namespace prefix). */
function blocksOf(xml: string, name: string): string[] {
  const re = new RegExp(`<(?:[\\w.-]+:)?${name}\\b[^>]*>([\\s\\S]*?)</(?:[\\w.-]+:)?${name}>`, 'g');
  return [...xml.matchAll(re)].map((m) => m[1]!);
}

/** The trimmed text of the first element named `name`, or null. */
function textOf(xml: string, name: string): string | null {
  const inner = blocksOf(xml, name)[0];
  return inner === undefined ? null : unescapeXml(inner.trim());
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

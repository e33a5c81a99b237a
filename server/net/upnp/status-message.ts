import type { PortMappingPort } from '../../core/config/port-mapping.js';
import type { UpnpActionError } from './igd.js';
import { natExplanation, type NatKind } from './nat-kind.js';
import type { PortMappingState } from './port-mapper.js';

/** What the status message is made of (port-mapper.ts fills it in). */
export interface StatusFacts {
  state: PortMappingState;
  router: { address: string; name: string | null } | null;
  mapped: PortMappingPort[];
  wantedPorts: number[];
  /** External port and why the router refused it, in words. */
  refused: [number, string][];
  localIp: string | null;
  externalIp: string | null;
  nat: NatKind;
  problem: string | null;
  setupWarning: string | null;
}

/** The status's `message`: what is going on, in plain words, and what it means. */
export function statusMessage(f: StatusFacts): string {
  const parts: string[] = [];
  const router = f.router
    ? f.router.name
      ? `${f.router.name} (${f.router.address})`
      : f.router.address
    : '';
  switch (f.state) {
    case 'searching':
      parts.push('Looking for a router that supports UPnP on this network…');
      break;
    case 'mapped':
      parts.push(
        `The router ${router} forwards ` +
          f.mapped
            .map((p) => `port ${p.externalPort} to this machine (${f.localIp}:${p.internalPort})`)
            .join(', ') +
          (f.externalIp ? `; its internet address is ${f.externalIp}.` : '.'),
      );
      break;
    case 'no_gateway':
      parts.push(
        'No router answered a UPnP search on this network, or UPnP is turned off on the router. ' +
          `Forward port ${f.wantedPorts.join(', ')} by hand (steps below), or turn on UPnP ` +
          '(sometimes called "UPnP IGD" or "automatic port forwarding") in the router\'s ' +
          'settings; Hearth keeps searching.',
      );
      break;
    case 'refused':
      parts.push(
        `The router ${router} refused to forward ` +
          f.refused.map(([p, why]) => `port ${p} (${why})`).join(', ') +
          '. Forward it by hand (steps below).',
      );
      break;
    case 'error':
      parts.push(
        `Could not talk to the router${router ? ` ${router}` : ''}: ${f.problem ?? 'no answer'}. ` +
          'Hearth tries again shortly.',
      );
      break;
    case 'disabled':
      break;
  }
  if (f.router && !f.externalIp) {
    parts.push(
      'The router did not tell its internet address; routers do that when their own internet ' +
        'side has a private address, which usually means a second router in front (double NAT).',
    );
  }
  const natText = natExplanation(f.nat, f.externalIp);
  if (natText) parts.push(natText);
  if (f.setupWarning) parts.push(f.setupWarning);
  return parts.join(' ');
}

/** A router's refusal, in words a person can act on. */
export function refusalInWords(err: UpnpActionError): string {
  switch (err.code) {
    case 718:
      return 'it is already forwarded to another device';
    case 606:
      return 'the router does not let this device change its port forwarding';
    case 501:
      return 'the router could not do it; routers behind another router often answer so';
    case 724:
    case 716:
      return 'the router only forwards a port to the same port number';
    default:
      return `UPnP error ${err.code} ${err.description}`.trim();
  }
}

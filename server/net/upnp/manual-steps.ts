import type { PortMappingPort } from '../../core/config/port-mapping.js';

/**
 * The steps a person follows to forward the ports by hand, for when UPnP cannot do it:
 * which port, to which address of this machine, over TCP (docs/ports.md says the same).
 */
export function manualSteps(opts: {
  ports: readonly PortMappingPort[];
  localIp: string | null;
  gateway: string | null;
  doubleNat: boolean;
}): string[] {
  const here = opts.localIp ?? "this machine's address on your network";
  const steps = [
    opts.gateway
      ? `Open your router's settings page (usually http://${opts.gateway}/) and sign in.`
      : "Open your router's settings page (its address is printed on the router, often http://192.168.1.1/ or http://192.168.0.1/) and sign in.",
    'Find the port forwarding section (also called "Virtual server", "NAT", "Port mapping" or "Applications").',
    ...opts.ports.map(
      (p) =>
        `Add a rule: protocol TCP, external port ${p.externalPort}, to ${here}, internal port ${p.internalPort}.`,
    ),
    `Give this machine a fixed address on your network (a DHCP reservation for ${here}), so the rule keeps pointing to it.`,
  ];
  if (opts.doubleNat) {
    steps.push(
      "Your router is itself behind another router: add the same rule on the outer router, pointing to your router's internet-side address.",
    );
  }
  return steps;
}

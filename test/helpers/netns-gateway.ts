import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A home network in three network namespaces, with Debian's real miniupnpd as the router:
 *
 *   lan (192.168.77.10) --veth-- gateway (192.168.77.1 | WAN.1) --veth-- wan (WAN.2)
 *
 * The gateway namespace forwards and NATs with nft tables this helper loads (Debian's
 * miniupnpd init script wants iptables), and miniupnpd adds its port mappings to them.
 * Everything runs inside the namespaces: nothing is sent from the root namespace to their
 * addresses. Names are unique per run; stop() deletes the namespaces (and so the veth
 * pairs) and kills what still runs in them.
 */

const run = promisify(execFile);

export const LAN_IP = '192.168.77.10';
export const GATEWAY_LAN_IP = '192.168.77.1';
const TOOLS = ['ip', 'nft', 'miniupnpd'];

/** Why the rig cannot be built here (a missing tool, not root), or null when it can. */
export function netnsRigUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  for (const tool of TOOLS) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (apt-get install -y iproute2 nftables miniupnpd)`;
    }
  }
  return null;
}

export interface GatewayRigOptions {
  /** The first three octets of the WAN link, e.g. '11.0.1': the gateway is .1, the wan peer .2. */
  wanPrefix: string;
  /** miniupnpd's ext_ip (the address it reports); omitted: whatever it finds itself. */
  extIp?: string;
  /**
   * Runs a tiny STUN server in the wan namespace answering every binding request with this
   * address, and has miniupnpd learn its external address from it (ext_perform_stun). That
   * is the one way miniupnpd 2.3 reports a private address as its external one.
   */
  stunMappedIp?: string;
  /** Serve IGD v1 descriptions (force_igd_desc_v1), as many older routers do. */
  igdV1?: boolean;
}

export interface GatewayRig {
  lan: string;
  gateway: string;
  wan: string;
  /** The gateway's address on the WAN link. */
  gatewayWanIp: string;
  /** miniupnpd's output so far (it runs in debug mode). */
  routerLog(): string;
  /** miniupnpd's DNAT rules (one per mapping), as nft lists them in the gateway namespace. */
  mappingRules(): Promise<string>;
  /** Runs a command in one of the namespaces. */
  exec(
    ns: string,
    cmd: string,
    args: string[],
    timeoutMs?: number,
  ): Promise<{ stdout: string; stderr: string }>;
  /** Starts a long-running command in one of the namespaces. */
  spawn(
    ns: string,
    cmd: string,
    args: string[],
    opts?: { cwd?: string; env?: NodeJS.ProcessEnv; ipc?: boolean },
  ): ChildProcess;
  /**
   * Stops miniupnpd and starts it again, with another external address: like a router
   * that rebooted and got a new address from the provider (and a new HTTP port).
   * `forgetMappings`: without its lease file, it comes back with no mapping at all.
   */
  restartRouter(opts: { extIp?: string; forgetMappings?: boolean }): Promise<void>;
  /** Stops miniupnpd (the router goes away; the namespaces stay). */
  stopRouter(): Promise<void>;
  /** Stops everything and deletes the namespaces. Safe to call twice. */
  stop(): Promise<void>;
}

let counter = 0;

/** Builds the three namespaces and starts miniupnpd in the gateway one. */
export async function createGatewayRig(opts: GatewayRigOptions): Promise<GatewayRig> {
  const id = `${process.pid % 100000}${String.fromCharCode(97 + (counter++ % 26))}`;
  const ns = { lan: `hearth-${id}-lan`, gateway: `hearth-${id}-gw`, wan: `hearth-${id}-wan` };
  const dev = { gl: `h${id}gl`, l: `h${id}l`, gw: `h${id}gw`, w: `h${id}w` };
  const dir = mkdtempSync(join(tmpdir(), 'hearth-upnp-rig-'));
  const children = new Set<ChildProcess>();
  const gatewayWanIp = `${opts.wanPrefix}.1`;
  const uuid = `7ae39f2c-166a-4f82-a056-${String(process.pid).padStart(6, '0')}${String(counter).padStart(6, '0')}`;
  const wanPeerIp = `${opts.wanPrefix}.2`;
  const ip = (...args: string[]) => run('ip', args);
  const inNs = (n: string, cmd: string, args: string[], timeoutMs = 15_000) =>
    run('ip', ['netns', 'exec', n, cmd, ...args], { timeout: timeoutMs });
  let stopped = false;
  let router: ChildProcess | null = null;
  let routerOut = '';

  const spawnIn = (
    n: string,
    cmd: string,
    args: string[],
    o: { cwd?: string; env?: NodeJS.ProcessEnv; ipc?: boolean } = {},
  ) => {
    const child = spawn('ip', ['netns', 'exec', n, cmd, ...args], {
      cwd: o.cwd,
      env: o.env ?? process.env,
      // An IPC channel (fd 3) survives `ip netns exec`: a supervisor can talk to the child.
      stdio: o.ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('close', () => children.delete(child));
    return child;
  };

  const stopChild = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      child.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all([...children].map(stopChild));
    for (const n of Object.values(ns)) {
      // Anything still running in the namespace was started by this rig: end it by pid.
      const pids = await run('ip', ['netns', 'pids', n]).then(
        (r) => r.stdout.split(/\s+/).filter(Boolean),
        () => [],
      );
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await run('ip', ['netns', 'del', n]).catch(() => {});
    }
    rmSync(dir, { recursive: true, force: true });
  };

  /** Starts miniupnpd in the gateway namespace (it writes its own mappings into the nft tables). */
  const startRouter = async (extIp: string | undefined) => {
    const conf = join(dir, 'miniupnpd.conf');
    writeFileSync(
      conf,
      [
        `ext_ifname=${dev.gw}`,
        `listening_ip=${dev.gl}`,
        'port=0',
        'enable_upnp=yes',
        'enable_natpmp=no',
        'secure_mode=yes',
        'system_uptime=yes',
        `uuid=${uuid}`,
        `lease_file=${join(dir, 'upnp.leases')}`,
        ...(extIp ? [`ext_ip=${extIp}`] : []),
        ...(opts.stunMappedIp
          ? ['ext_perform_stun=yes', `ext_stun_host=${wanPeerIp}`, 'ext_stun_port=3478']
          : []),
        ...(opts.igdV1 ? ['force_igd_desc_v1=yes'] : []),
        'allow 1-65535 192.168.77.0/24 1-65535',
        'deny 0-65535 0.0.0.0/0 0-65535',
        '',
      ].join('\n'),
    );
    const from = routerOut.length;
    router = spawnIn(ns.gateway, 'miniupnpd', ['-f', conf, '-d', '-P', join(dir, 'miniupnpd.pid')]);
    router.stdout!.setEncoding('utf8').on('data', (d: string) => (routerOut += d));
    router.stderr!.setEncoding('utf8').on('data', (d: string) => (routerOut += d));
    await waitFor(
      () => routerOut.slice(from).includes('HTTP listening on port'),
      10_000,
      () => `miniupnpd did not start:\n${routerOut}`,
    );
  };

  try {
    for (const n of Object.values(ns)) await ip('netns', 'add', n);
    await ip(
      'link',
      'add',
      dev.gl,
      'netns',
      ns.gateway,
      'type',
      'veth',
      'peer',
      'name',
      dev.l,
      'netns',
      ns.lan,
    );
    await ip(
      'link',
      'add',
      dev.gw,
      'netns',
      ns.gateway,
      'type',
      'veth',
      'peer',
      'name',
      dev.w,
      'netns',
      ns.wan,
    );
    const setup: [string, string[]][] = [
      [ns.gateway, ['addr', 'add', `${GATEWAY_LAN_IP}/24`, 'dev', dev.gl]],
      [ns.gateway, ['addr', 'add', `${gatewayWanIp}/24`, 'dev', dev.gw]],
      [ns.gateway, ['link', 'set', dev.gl, 'up']],
      [ns.gateway, ['link', 'set', dev.gw, 'up']],
      [ns.gateway, ['link', 'set', 'lo', 'up']],
      [ns.lan, ['addr', 'add', `${LAN_IP}/24`, 'dev', dev.l]],
      [ns.lan, ['link', 'set', dev.l, 'up']],
      [ns.lan, ['link', 'set', 'lo', 'up']],
      [ns.lan, ['route', 'add', 'default', 'via', GATEWAY_LAN_IP]],
      [ns.wan, ['addr', 'add', `${wanPeerIp}/24`, 'dev', dev.w]],
      [ns.wan, ['link', 'set', dev.w, 'up']],
      [ns.wan, ['link', 'set', 'lo', 'up']],
    ];
    for (const [n, args] of setup) await ip('-n', n, ...args);
    await inNs(ns.gateway, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    const nftFile = join(dir, 'router.nft');
    writeFileSync(
      nftFile,
      // miniupnpd's default names: table inet "filter", chains miniupnpd,
      // prerouting_miniupnpd and postrouting_miniupnpd; it fills them, these jump to them.
      `table inet filter {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "${dev.gl}" accept
    jump miniupnpd
  }
  chain miniupnpd {
  }
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    jump prerouting_miniupnpd
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    oifname "${dev.gw}" masquerade
    jump postrouting_miniupnpd
  }
  chain prerouting_miniupnpd {
  }
  chain postrouting_miniupnpd {
  }
}
`,
    );
    await inNs(ns.gateway, 'nft', ['-f', nftFile]);

    if (opts.stunMappedIp) {
      const stun = spawnIn(ns.wan, process.execPath, [
        '-e',
        stunServerScript(wanPeerIp, opts.stunMappedIp),
      ]);
      await waitForOutput(stun, 'stun ready', 5_000);
    }

    await startRouter(opts.extIp);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    ...ns,
    gatewayWanIp,
    routerLog: () => routerOut,
    async mappingRules() {
      const r = await inNs(ns.gateway, 'nft', [
        'list',
        'chain',
        'inet',
        'filter',
        'prerouting_miniupnpd',
      ]);
      return r.stdout;
    },
    exec: (n, cmd, args, timeoutMs) => inNs(n, cmd, args, timeoutMs),
    spawn: spawnIn,
    async stopRouter() {
      if (router) await stopChild(router);
    },
    async restartRouter(o) {
      if (router) await stopChild(router);
      if (o.forgetMappings) {
        // A rebooted router starts with empty tables (miniupnpd leaves its rules at exit).
        rmSync(join(dir, 'upnp.leases'), { force: true });
        for (const chain of ['miniupnpd', 'prerouting_miniupnpd', 'postrouting_miniupnpd']) {
          await inNs(ns.gateway, 'nft', ['flush', 'chain', 'inet', 'filter', chain]);
        }
      }
      await startRouter(o.extIp);
    },
    stop,
  };
}

/**
 * A STUN server (RFC 5389 Binding) that tells every client it appears as `mappedIp` from
 * the port it sent from: miniupnpd then believes that is its external address.
 */
function stunServerScript(bindIp: string, mappedIp: string): string {
  return `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => {
  if (m.length < 20 || m.readUInt16BE(0) !== 0x0001) return;
  const out = Buffer.alloc(32);
  out.writeUInt16BE(0x0101, 0);
  out.writeUInt16BE(12, 2);
  m.copy(out, 4, 4, 20);
  out.writeUInt16BE(0x0001, 20);
  out.writeUInt16BE(8, 22);
  out.writeUInt8(0, 24);
  out.writeUInt8(1, 25);
  out.writeUInt16BE(r.port, 26);
  ${JSON.stringify(mappedIp)}.split('.').forEach((o, i) => out.writeUInt8(Number(o), 28 + i));
  s.send(out, r.port, r.address);
});
s.bind(3478, ${JSON.stringify(bindIp)}, () => console.log('stun ready'));
`;
}

function waitForOutput(child: ChildProcess, text: string, timeoutMs: number): Promise<void> {
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return waitFor(
    () => out.includes(text),
    timeoutMs,
    () => `no "${text}" within ${timeoutMs} ms:\n${out}`,
  );
}

/** Polls `ok` until it holds; rejects with `why()` after `timeoutMs`. */
export async function waitFor(
  ok: () => boolean | Promise<boolean>,
  timeoutMs: number,
  why: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((r) => setTimeout(r, 100));
  }
}

import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { computeRegistrationMac } from '../../../server/accounts/shared-secret.js';
import { REPO_ROOT, runHearth } from '../../helpers/cli.js';
import {
  createGatewayRig,
  LAN_IP,
  GATEWAY_LAN_IP,
  netnsRigUnavailable,
  waitFor,
  type GatewayRig,
} from '../../helpers/netns-gateway.js';

/**
 * Port mapping against a real router: Debian's miniupnpd in network namespaces (lan,
 * gateway, wan; test/helpers/netns-gateway.ts), and a real `hearth serve` process in the
 * lan namespace with port_mapping enabled. What is checked is what a person or another
 * server sees: the admin endpoint's status, a connection from the internet side reaching
 * Hearth through the router, and the router's own rules.
 */

const unavailable = netnsRigUnavailable();
const inCi = process.env.CI === 'true';
if (unavailable && !inCi) console.warn(`UPnP port-mapping tests skipped: ${unavailable}`);

const SECRET = 'upnp-test-shared-secret';
const FEDERATION_LISTENER_PORT = 8008;
let tmp: string;
const rigs: GatewayRig[] = [];
const hearths = new Set<ChildProcess>();

afterAll(async () => {
  for (const h of hearths) h.kill('SIGKILL');
  for (const rig of rigs) await rig.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 60_000);

async function newRig(opts: Parameters<typeof createGatewayRig>[0]): Promise<GatewayRig> {
  const rig = await createGatewayRig(opts);
  rigs.push(rig);
  return rig;
}

/** A generated config with a federation listener open to the LAN and port mapping on. */
async function writeConfig(name: string, portMapping: Record<string, unknown>): Promise<string> {
  const configPath = join(tmp, name, 'homeserver.yaml');
  const r = await runHearth([
    'generate-config',
    '--server-name',
    'example.test',
    '--config-path',
    configPath,
  ]);
  expect(r.code, r.stderr).toBe(0);
  const c = parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  c.listeners = [
    {
      port: FEDERATION_LISTENER_PORT,
      bind_addresses: ['0.0.0.0'],
      type: 'http',
      resources: [{ names: ['client', 'federation'] }],
    },
  ];
  c.registration_shared_secret = SECRET;
  c.port_mapping = { enabled: true, discovery_timeout: '1500ms', ...portMapping };
  writeFileSync(configPath, stringify(c));
  return configPath;
}

interface LanHearth {
  child: ChildProcess;
  logs(): Record<string, unknown>[];
  waitForLog(match: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `hearth serve` in the lan namespace, as a person runs it on the home machine. */
async function startLanHearth(
  rig: GatewayRig,
  configPath: string,
  opts: { ipc?: boolean } = {},
): Promise<LanHearth> {
  const child = rig.spawn(rig.lan, process.execPath, ['bin/hearth.js', 'serve', '-c', configPath], {
    cwd: REPO_ROOT,
    ipc: opts.ipc,
  });
  hearths.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      hearths.delete(child);
      resolve(code);
    }),
  );
  const logs = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  const h: LanHearth = {
    child,
    logs,
    waitForLog: (match, timeoutMs = 20_000) =>
      waitFor(
        () => logs().some(match),
        timeoutMs,
        () => `no matching log line\nstdout:\n${out}\nstderr:\n${err}`,
      ),
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
  await h.waitForLog((l) => l.msg === 'Hearth is ready');
  return h;
}

interface NsResponse {
  status?: number;
  body?: Record<string, unknown>;
  error?: string;
}

/** One HTTP request made by a node process inside namespace `ns`. */
async function httpIn(
  rig: GatewayRig,
  ns: string,
  url: string,
  init: { method?: string; token?: string; body?: unknown } = {},
): Promise<NsResponse> {
  const script = `
const init = ${JSON.stringify(init)};
fetch(${JSON.stringify(url)}, {
  method: init.method ?? 'GET',
  headers: { ...(init.token ? { Authorization: 'Bearer ' + init.token } : {}), 'Content-Type': 'application/json' },
  body: init.body === undefined ? undefined : JSON.stringify(init.body),
  signal: AbortSignal.timeout(4000),
}).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.json().catch(() => null) })),
  (e) => console.log(JSON.stringify({ error: String(e.cause?.code ?? e.name ?? e) })));
`;
  const r = await rig.exec(ns, process.execPath, ['-e', script], 10_000);
  return JSON.parse(r.stdout) as NsResponse;
}

/** Registers an admin through the shared secret, from the lan namespace; returns its token. */
async function adminToken(rig: GatewayRig): Promise<string> {
  const base = `http://127.0.0.1:${FEDERATION_LISTENER_PORT}`;
  const nonce = (await httpIn(rig, rig.lan, `${base}/_synapse/admin/v1/register`)).body!
    .nonce as string;
  const user = { nonce, username: 'admin', password: 'correct horse battery staple', admin: true };
  const res = await httpIn(rig, rig.lan, `${base}/_synapse/admin/v1/register`, {
    method: 'POST',
    body: { ...user, mac: computeRegistrationMac(SECRET, user) },
  });
  expect(res.status).toBe(200);
  return res.body!.access_token as string;
}

async function portMappingStatus(rig: GatewayRig, token: string): Promise<Record<string, unknown>> {
  const res = await httpIn(
    rig,
    rig.lan,
    `http://127.0.0.1:${FEDERATION_LISTENER_PORT}/_hearth/admin/v1/port_mapping`,
    { token },
  );
  expect(res.status).toBe(200);
  return res.body!;
}

/** Waits until the status leaves 'searching'. */
async function settledStatus(rig: GatewayRig, token: string): Promise<Record<string, unknown>> {
  let status: Record<string, unknown> = {};
  await waitFor(
    async () => {
      status = await portMappingStatus(rig, token);
      return status.status !== 'searching';
    },
    15_000,
    () => `port mapping still searching: ${JSON.stringify(status)}`,
  );
  return status;
}

describe.skipIf(unavailable !== null && !inCi)('UPnP port mapping with a real router', () => {
  beforeAll(() => {
    // Under CI the rig must exist: a missing tool fails instead of skipping.
    if (unavailable) throw new Error(`cannot build the UPnP test rig: ${unavailable}`);
    tmp = mkdtempSync(join(tmpdir(), 'hearth-upnp-'));
    const built = (() => {
      try {
        return readFileSync(join(REPO_ROOT, 'dist/hearth.mjs'), 'utf8');
      } catch {
        return '';
      }
    })();
    if (!built.includes('/_hearth/admin/v1/port_mapping')) {
      execFileSync('node', ['scripts/build.js'], { cwd: REPO_ROOT, stdio: 'ignore' });
    }
  }, 120_000);

  describe('an IGD v1 router with a public address', () => {
    let rig: GatewayRig;
    let hearth: LanHearth;
    let token: string;
    let firstExpiry: number;

    beforeAll(async () => {
      // IGD v1 descriptions: what most home routers still serve, and what
      // @achingbrain/nat-port-mapper cannot use (docs/ports.md).
      rig = await newRig({ wanPrefix: '11.0.1', extIp: '11.0.1.1', igdV1: true });
    }, 30_000);

    test('hearth serve finds the router and maps its federation port', async () => {
      const config = await writeConfig('v1', { lease: '4s', external_ip_check: '2s' });
      hearth = await startLanHearth(rig, config);
      token = await adminToken(rig);
      const status = await settledStatus(rig, token);
      expect(status).toMatchObject({
        status: 'mapped',
        gateway: GATEWAY_LAN_IP,
        local_ip: LAN_IP,
        external_ip: '11.0.1.1',
        nat: 'none',
        mappings: [
          {
            protocol: 'TCP',
            external_port: 8448,
            internal_port: FEDERATION_LISTENER_PORT,
            lease_seconds: 4,
          },
        ],
      });
      expect(status.manual_steps).toBeUndefined();
      expect(status.message).toContain('forwards port 8448');
      firstExpiry = (status.mappings as { expires_ts: number }[])[0]!.expires_ts;
      expect(rig.routerLog()).toContain('WANIPConnection:1#AddPortMapping');
      expect(await rig.mappingRules()).toMatch(
        new RegExp(`dport 8448 dnat (ip )?to ${LAN_IP.replace(/\./g, '\\.')}:8008`),
      );
    }, 60_000);

    test('a connection from the internet side reaches Hearth through the mapping', async () => {
      const res = await httpIn(
        rig,
        rig.wan,
        `http://${rig.gatewayWanIp}:8448/_matrix/key/v2/server`,
      );
      expect(res.status).toBe(200);
      expect(res.body!.server_name).toBe('example.test');
    });

    test('the lease is renewed before it ends, so the mapping outlives it', async () => {
      // Three lease lengths: without renewals miniupnpd would have dropped the mapping.
      await new Promise((r) => setTimeout(r, 12_000));
      const status = await portMappingStatus(rig, token);
      expect(status.status).toBe('mapped');
      const expiry = (status.mappings as { expires_ts: number }[])[0]!.expires_ts;
      expect(expiry).toBeGreaterThan(firstExpiry + 6_000);
      const adds = rig.routerLog().match(/#AddPortMapping/g) ?? [];
      expect(adds.length).toBeGreaterThanOrEqual(4);
      const res = await httpIn(
        rig,
        rig.wan,
        `http://${rig.gatewayWanIp}:8448/_matrix/key/v2/server`,
      );
      expect(res.status).toBe(200);
    }, 30_000);

    test('after a router restart with a new address, Hearth maps again and reports the change', async () => {
      // A rebooted router: gone for a moment, back on another HTTP port, with a new
      // internet address. The next check finds it gone, searches again and maps again.
      await rig.restartRouter({ extIp: '11.0.1.99' });
      let status: Record<string, unknown> = {};
      await waitFor(
        async () => {
          status = await portMappingStatus(rig, token);
          return status.external_ip === '11.0.1.99' && status.status === 'mapped';
        },
        20_000,
        () => `no new external address in the status: ${JSON.stringify(status)}`,
      );
      expect(status.previous_external_ip).toBe('11.0.1.1');
      expect(status.external_ip_changed_ts).toEqual(expect.any(Number));
      const change = hearth.logs().find((l) => /external IP address changed/.test(String(l.msg)));
      expect(change).toMatchObject({ previous: '11.0.1.1', current: '11.0.1.99' });
      await waitFor(
        async () => (await rig.mappingRules()).includes('dport 8448 dnat'),
        10_000,
        () => 'the router has no mapping after its restart',
      );
      const res = await httpIn(
        rig,
        rig.wan,
        `http://${rig.gatewayWanIp}:8448/_matrix/key/v2/server`,
      );
      expect(res.status).toBe(200);
    }, 60_000);

    test('stopping Hearth removes the mapping', async () => {
      expect(await hearth.stop()).toBe(0);
      expect(hearth.logs().some((l) => l.msg === 'removed the port mapping')).toBe(true);
      expect(rig.routerLog()).toContain('#DeletePortMapping');
      expect(await rig.mappingRules()).not.toContain('dnat');
      const res = await httpIn(
        rig,
        rig.wan,
        `http://${rig.gatewayWanIp}:8448/_matrix/key/v2/server`,
      );
      expect(res.status).toBeUndefined();
      expect(res.error).toBeTruthy();
    }, 30_000);

    test('with no router answering, the status says so and gives the manual steps', async () => {
      await rig.stopRouter();
      const config = await writeConfig('none', {});
      const h = await startLanHearth(rig, config);
      try {
        const t = await adminToken(rig);
        const status = await settledStatus(rig, t);
        expect(status).toMatchObject({
          status: 'no_gateway',
          gateway: null,
          local_ip: LAN_IP,
          external_ip: null,
          mappings: [],
        });
        expect(status.message).toContain('No router answered');
        const steps = (status.manual_steps as string[]).join('\n');
        expect(steps).toContain(
          `protocol TCP, external port 8448, to ${LAN_IP}, internal port ${FEDERATION_LISTENER_PORT}`,
        );
        expect(h.logs().some((l) => /no UPnP router answered/.test(String(l.msg)))).toBe(true);
      } finally {
        expect(await h.stop()).toBe(0);
      }
    }, 60_000);
  });

  // miniupnpd 2.3 reports a private external address only when it learned it over STUN;
  // the rig's STUN server, on the internet side, tells it the address it appears as.
  test.each([
    ['10.99.0.7', 'double', '10.200.1', /second router[\s\S]*double NAT/],
    ['100.64.3.4', 'cgnat', '10.200.2', /shared by your internet provider/],
  ])(
    'an IGD v2 router reporting %s is seen as %s NAT, explained in plain words',
    async (reported, nat, wanPrefix, explanation) => {
      const rig = await newRig({ wanPrefix, stunMappedIp: reported });
      const config = await writeConfig(`nat-${nat}`, {});
      const h = await startLanHearth(rig, config);
      try {
        const t = await adminToken(rig);
        const status = await settledStatus(rig, t);
        expect(status).toMatchObject({ status: 'mapped', external_ip: reported, nat });
        expect(status.message).toMatch(explanation);
        expect(rig.routerLog()).toContain('WANIPConnection:2#AddPortMapping');
        if (nat === 'double') {
          expect((status.manual_steps as string[]).join('\n')).toContain('outer router');
        }
      } finally {
        expect(await h.stop()).toBe(0);
      }
    },
    60_000,
  );

  test('while a certificate is issued, port 80 is forwarded to the challenge listener, then removed', async () => {
    // The certificate code's hook (server/net/acme/registry.ts) as the ACME manager calls
    // it, with the port mapping main.ts starts, in a process in the lan namespace.
    const rig = await newRig({ wanPrefix: '11.0.4', extIp: '11.0.4.1' });
    const script = join(tmp, 'challenge-port.mjs');
    await build({
      entryPoints: [join(REPO_ROOT, 'test/integration/net/fixtures/upnp-challenge-port.ts')],
      outfile: script,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['better-sqlite3', '@node-rs/bcrypt', 'sharp'],
      banner: {
        js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);",
      },
      logLevel: 'warning',
    });
    const child = rig.spawn(rig.lan, process.execPath, [script], { cwd: REPO_ROOT });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const step = async (name: string) => {
      let found: Record<string, unknown> | undefined;
      await waitFor(
        () =>
          !!(found = out
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as Record<string, unknown>)
            .find((l) => l.step === name)),
        20_000,
        () => `no step ${name}: ${out}`,
      );
      return found!.status as Record<string, unknown>;
    };
    const wanGet = () =>
      rig.exec(rig.wan, process.execPath, [
        '-e',
        `fetch('http://${rig.gatewayWanIp}/.well-known/acme-challenge/x', { signal: AbortSignal.timeout(4000) })` +
          `.then(async (r) => console.log(await r.text()), (e) => console.log('failed: ' + (e.cause?.code ?? e)))`,
      ]);
    try {
      const open = await step('open');
      expect(open.mappings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ external_port: 80, internal_port: 5002 }),
          expect.objectContaining({ external_port: 8448, internal_port: FEDERATION_LISTENER_PORT }),
        ]),
      );
      expect(await rig.mappingRules()).toContain('dport 80 dnat ip to 192.168.77.10:5002');
      expect((await wanGet()).stdout.trim()).toBe('challenge answered');

      child.stdin!.write('next\n');
      const closed = await step('closed');
      expect(closed.mappings).toEqual([
        expect.objectContaining({ external_port: 8448, internal_port: FEDERATION_LISTENER_PORT }),
      ]);
      expect(await rig.mappingRules()).not.toContain('dport 80 ');
      expect((await wanGet()).stdout).toMatch(/^failed/);

      child.stdin!.write('next\n');
      await step('done');
      expect(await rig.mappingRules()).not.toContain('dnat');
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  test('after a wake, Hearth maps again what the router forgot meanwhile', async () => {
    // The desktop shell's resume message (Electron's powerMonitor), through the same IPC
    // channel a supervisor uses; no lease renewal or address check is due meanwhile.
    const rig = await newRig({ wanPrefix: '11.0.5', extIp: '11.0.5.1' });
    const config = await writeConfig('resume', { external_ip_check: 0 });
    const h = await startLanHearth(rig, config, { ipc: true });
    try {
      const t = await adminToken(rig);
      expect((await settledStatus(rig, t)).status).toBe('mapped');
      await rig.restartRouter({ forgetMappings: true });
      expect(await rig.mappingRules()).not.toContain('dnat');

      h.child.send({ type: 'resume' });
      await h.waitForLog((l) => l.why === 'resume' && l.status === 'mapped');
      expect(await rig.mappingRules()).toContain('dport 8448 dnat');
      const res = await httpIn(
        rig,
        rig.wan,
        `http://${rig.gatewayWanIp}:8448/_matrix/key/v2/server`,
      );
      expect(res.status).toBe(200);
    } finally {
      expect(await h.stop()).toBe(0);
    }
  }, 60_000);

  test('a router whose own internet side is private refuses: the status says why and what to do', async () => {
    // Without ext_ip or STUN, miniupnpd 2.3 on a private WAN address reports no external
    // address and refuses every mapping (501), as on a router behind the provider's box.
    const rig = await newRig({ wanPrefix: '10.200.3' });
    const config = await writeConfig('private-wan', {});
    const h = await startLanHearth(rig, config);
    try {
      const t = await adminToken(rig);
      const status = await settledStatus(rig, t);
      expect(status).toMatchObject({
        status: 'refused',
        gateway: GATEWAY_LAN_IP,
        external_ip: null,
        nat: 'unknown',
        mappings: [],
      });
      expect(status.message).toContain('refused to forward port 8448');
      expect(status.message).toContain('did not tell its internet address');
      expect((status.manual_steps as string[]).join('\n')).toContain(`to ${LAN_IP}`);
    } finally {
      expect(await h.stop()).toBe(0);
    }
  }, 60_000);
});

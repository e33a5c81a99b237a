import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { systemRandom } from '../../core/clock.js';
import { generateConfig } from '../../core/config/generate.js';
import { startServer, type RunningServer } from '../../main.js';
import { UsageError, type Command } from '../usage.js';

/**
 * hearth demo: three Hearths federating on this machine, like Synapse's demo/start.sh —
 * server names localhost:8480, localhost:8481 and localhost:8482, each serving the client
 * and federation APIs over TLS on its own port with a certificate from a CA the demo makes
 * and the three servers trust, registration open. The first run writes everything under
 * --dir (default ./demo); later runs start the same servers again. Ctrl-C stops them.
 */

const DEFAULT_BASE_PORT = 8480;
const COUNT = 3;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run three federating Hearths on localhost:8480-8482 (TLS, a demo CA)',
  usage: 'hearth demo [--dir DIR] [--base-port PORT] [-v]',
  options: {
    dir: { type: 'string' },
    'base-port': { type: 'string' },
    verbose: { type: 'boolean', short: 'v', multiple: true },
  },
  async run(values) {
    const dir = resolve((values.dir as string | undefined) ?? 'demo');
    const basePort = Number((values['base-port'] as string | undefined) ?? DEFAULT_BASE_PORT);
    if (!Number.isInteger(basePort) || basePort < 1 || basePort + COUNT - 1 > 65535) {
      throw new UsageError(
        `--base-port must be a port number, not "${String(values['base-port'])}"`,
      );
    }
    const ports = Array.from({ length: COUNT }, (_, i) => basePort + i);
    const caPath = await prepare(dir, ports);
    const verbosity = (values.verbose as unknown as boolean[] | undefined)?.length ?? 0;
    const servers: RunningServer[] = [];
    try {
      for (const port of ports) {
        servers.push(
          await startServer({
            configPath: configPathOf(dir, port),
            logLevel: verbosity > 1 ? 'debug' : verbosity ? 'info' : 'warn',
          }),
        );
      }
    } catch (err) {
      await Promise.all(servers.map((s) => s.close()));
      throw err;
    }
    process.stdout.write(
      [
        `Hearth demo: ${COUNT} federating servers (data and configs in ${dir})`,
        ...ports.map((p) => `  https://localhost:${p}  server name localhost:${p}`),
        `Their certificates come from the demo CA ${caPath}: trust it in a client (or a`,
        `browser) to use them. Registration is open. Press Ctrl-C to stop.`,
        'demo ready',
        '',
      ].join('\n'),
    );
    return new Promise<number>((done) => {
      let stopping = false;
      const stop = () => {
        if (stopping) return done(1);
        stopping = true;
        Promise.all(servers.map((s) => s.close())).then(
          () => done(0),
          (err: unknown) => {
            process.stderr.write(`hearth demo: error while stopping: ${String(err)}\n`);
            done(1);
          },
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};

function configPathOf(dir: string, port: number): string {
  return join(dir, `hs${port}`, 'homeserver.yaml');
}

/**
 * Writes what the demo needs, once: the CA, and for each port a config and a certificate
 * for localhost. Returns the CA certificate's path.
 */
async function prepare(dir: string, ports: number[]): Promise<string> {
  const caPath = join(dir, 'demo-ca.crt');
  const caKeyPath = join(dir, 'demo-ca.key');
  // Loaded here only: node-forge is not part of a server's start (net/local-ca.ts).
  const { createLocalCa, loadLocalCa, writePemPair } = await import('../../net/local-ca.js');
  mkdirSync(dir, { recursive: true });
  const ca = existsSync(caPath)
    ? loadLocalCa({ cert: readFileSync(caPath, 'utf8'), key: readFileSync(caKeyPath, 'utf8') })
    : createLocalCa({ commonName: 'Hearth demo CA' });
  if (!existsSync(caPath)) writePemPair(dir, 'demo-ca', ca);
  for (const port of ports) {
    const configPath = configPathOf(dir, port);
    if (existsSync(configPath)) continue;
    const serverName = `localhost:${port}`;
    generateConfig({ serverName, configPath, port, random: systemRandom });
    const hsDir = join(dir, `hs${port}`);
    const tls = writePemPair(hsDir, 'tls', ca.issue(['localhost', '127.0.0.1', '::1']));
    const doc = parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    Object.assign(doc, localFederationConfig({ port, ...tls, caPath }), {
      enable_registration: true,
      enable_registration_without_verification: true,
    });
    writeFileSync(
      configPath,
      `# hearth demo: ${serverName}, one of three federating servers.\n${stringify(doc)}`,
      { mode: 0o600 },
    );
  }
  return caPath;
}

/**
 * The config keys that make a server named localhost:`port` federate with other servers on
 * this machine: one TLS listener on `port` for the client and federation APIs with a
 * certificate of the local CA, that CA trusted (a server named localhost lets loopback
 * through its address guard by itself: federation/transport.ts isMachineLocal), no
 * notary. Exported for the benchmarks (bench/lib/fed-setup.js), which start servers this way.
 */
export function localFederationConfig(a: {
  port: number;
  certPath: string;
  keyPath: string;
  caPath: string;
}): Record<string, unknown> {
  return {
    listeners: [
      {
        port: a.port,
        tls: true,
        type: 'http',
        x_forwarded: false,
        bind_addresses: ['127.0.0.1'],
        resources: [{ names: ['client', 'federation'], compress: false }],
      },
    ],
    public_baseurl: `https://localhost:${a.port}/`,
    tls_certificate_path: a.certPath,
    tls_private_key_path: a.keyPath,
    federation_custom_ca_list: [a.caPath],
    trusted_key_servers: [],
    suppress_key_server_warning: true,
  };
}

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { systemRandom } from '../../../server/core/clock.js';
import { generateConfig } from '../../../server/core/config/generate.js';
import { REPO_ROOT, killAllHearth, startHearth, type HearthProcess } from '../../helpers/cli.js';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.js';
import { freePort, pebbleTestsRun, startPebble, type Pebble } from '../../helpers/pebble.js';

/**
 * `hearth serve` as a person runs it (the built dist/hearth.mjs in a child process), with
 * acme enabled against pebble: it starts at once, gets its certificate in the background,
 * serves it on its TLS listener, and on the next start uses the stored one.
 */

const DOMAIN = 'cli.acme.test';

function tlsAuthorized(port: number, ca: string): Promise<{ ok: boolean; fp: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: DOMAIN, ca }, () => {
      const r = { ok: socket.authorized, fp: socket.getPeerCertificate().fingerprint256 };
      socket.end();
      resolve(r);
    });
    socket.once('error', reject);
  });
}

const isMsg = (m: string) => (l: Record<string, unknown>) => l.msg === m;

describe.runIf(pebbleTestsRun())('hearth serve with acme enabled', () => {
  let dns: TestDnsServer;
  let pebble: Pebble;
  let tmp: string;
  let configPath: string;
  let tlsPort: number;
  let httpPort: number;

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'dist/hearth.mjs'))) {
      execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' });
    }
    dns = await startDnsServer();
    dns.set(DOMAIN, { A: ['127.0.0.1'] });
    pebble = await startPebble({ dnsServer: dns.address });
    tmp = mkdtempSync(join(tmpdir(), 'hearth-acme-cli-'));
    configPath = join(tmp, 'homeserver.yaml');
    generateConfig({ serverName: DOMAIN, configPath, random: systemRandom });
    [httpPort, tlsPort] = [await freePort(), await freePort()];
    const yaml = parseYaml(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    yaml.listeners = [
      {
        port: httpPort,
        bind_addresses: ['127.0.0.1'],
        type: 'http',
        resources: [{ names: ['client'] }],
      },
      {
        port: tlsPort,
        bind_addresses: ['127.0.0.1'],
        type: 'http',
        tls: true,
        resources: [{ names: ['federation'] }],
      },
    ];
    yaml.acme = {
      enabled: true,
      url: pebble.directoryUrl,
      port: pebble.httpPort,
      bind_addresses: ['127.0.0.1'],
      ca_bundle: pebble.caBundlePath,
    };
    yaml.trusted_key_servers = [];
    writeFileSync(configPath, stringifyYaml(yaml));
  }, 150_000);

  afterAll(async () => {
    await killAllHearth();
    await pebble?.close();
    await dns?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  async function stop(p: HearthProcess): Promise<void> {
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  }

  it('starts without waiting for the certificate, then serves it on the TLS listener', async () => {
    const p = startHearth(['serve', '--config', configPath]);
    await p.waitForLog(isMsg('Hearth is ready'));
    // Ready, and the plain listener answers, whatever the ACME server is doing.
    expect((await fetch(`http://127.0.0.1:${httpPort}/_matrix/client/versions`)).status).toBe(200);
    await p.waitForLog(isMsg('certificate obtained and installed'), 60_000);
    const root = await pebble.issuingRoot();
    const first = await tlsAuthorized(tlsPort, root);
    expect(first.ok).toBe(true);
    const store = join(tmp, 'acme');
    expect(statSync(store).mode & 0o777).toBe(0o700);
    expect(statSync(join(store, 'private-key.pem')).mode & 0o777).toBe(0o600);
    await stop(p);

    // The next start serves the stored certificate and asks nobody.
    const again = startHearth(['serve', '--config', configPath]);
    await again.waitForLog(isMsg('loaded the stored certificate'));
    await again.waitForLog(isMsg('Hearth is ready'));
    const second = await tlsAuthorized(tlsPort, root);
    expect(second).toEqual(first);
    await new Promise((r) => setTimeout(r, 500));
    expect(again.stdout()).not.toMatch(/requesting a certificate/);
    await stop(again);
  }, 120_000);
});

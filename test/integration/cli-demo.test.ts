import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { startHearth } from '../helpers/cli.js';
import { freePortRun } from '../helpers/federating-processes.js';

/**
 * `hearth demo` as a person runs it: three Hearths on consecutive ports, TLS with a CA the
 * demo made, each reaching the others through the real federation transport (discovery of
 * localhost:PORT, certificate checks against the demo CA, the address guard letting
 * loopback through). Stopped with Ctrl-C (SIGINT), it exits 0; run again, it starts the
 * same servers.
 */

const dir = mkdtempSync(join(tmpdir(), 'hearth-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read loosely; the assertions check them
type Loose = Record<string, any>;

function getJson(port: number, path: string, ca: string): Promise<{ status: number; body: Loose }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: 'localhost', port, path, ca, servername: 'localhost' }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (d: string) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function runDemo(base: number) {
  const demo = startHearth(['demo', '--dir', dir, '--base-port', String(base)]);
  const deadline = Date.now() + 60_000;
  while (!demo.stdout().includes('demo ready')) {
    if (Date.now() > deadline) throw new Error(`demo not ready: ${demo.stderr()}`);
    const exited = await Promise.race([
      demo.exited.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 100)),
    ]);
    if (exited) throw new Error(`demo exited: ${demo.stdout()} ${demo.stderr()}`);
  }
  return demo;
}

test('three demo servers federate over TLS with the demo CA, and stop on Ctrl-C', async () => {
  const base = await freePortRun(3);
  const demo = await runDemo(base);
  const ca = readFileSync(join(dir, 'demo-ca.crt'), 'utf8');
  for (let i = 0; i < 3; i++) {
    expect(demo.stdout()).toContain(`https://localhost:${base + i}`);
    const version = await getJson(base + i, '/_matrix/federation/v1/version', ca);
    expect(version.body.server.name).toBe('Hearth');
  }
  // The first server, as a notary, fetches the third's keys over the federation transport.
  const third = `localhost:${base + 2}`;
  const keys = await getJson(base, `/_matrix/key/v2/query/${encodeURIComponent(third)}`, ca);
  expect(keys.status).toBe(200);
  const [answer] = keys.body.server_keys;
  expect(answer.server_name).toBe(third);
  expect(Object.keys(answer.signatures).sort()).toEqual([`localhost:${base}`, third].sort());
  // Registration is open on each.
  const flows = await new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: 'localhost',
        port: base + 1,
        path: '/_matrix/client/v3/register',
        method: 'POST',
        ca,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ username: 'demo-user', password: 'a long demo password' }));
  });
  expect(flows).toBe(401); // the UIA flows: open registration asks for a dummy stage
  demo.child.kill('SIGINT');
  expect((await demo.exited).code).toBe(0);

  // A second run starts the same servers (same keys) from the files of the first.
  const again = await runDemo(base);
  const keysAgain = await getJson(base + 2, '/_matrix/key/v2/server', ca);
  expect(Object.keys(keysAgain.body.verify_keys)).toEqual(Object.keys(answer.verify_keys));
  again.child.kill('SIGINT');
  expect((await again.exited).code).toBe(0);
}, 120_000);

test('a bad --base-port is a usage error (exit 2)', async () => {
  const res = await startHearth(['demo', '--dir', dir, '--base-port', 'nope']).exited;
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(/--base-port/);
});

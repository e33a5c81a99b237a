import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { parseSigningKeyFile } from '../../server/core/signing.js';
import { killAllHearth, REPO_ROOT, runHearth, startHearth } from '../helpers/cli.js';

/**
 * `hearth rotate-signing-key` as an admin runs it: on a generated config, then `hearth
 * serve` on the result, whose /_matrix/key/v2/server must publish the new key and the
 * old one under old_verify_keys.
 */

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hearth-rotate-'));
  if (!existsSync(join(REPO_ROOT, 'dist/hearth.mjs'))) {
    execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' });
  }
}, 120_000);

afterAll(async () => {
  await killAllHearth();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function generate(name: string): Promise<string> {
  const configPath = join(tmp, name, 'homeserver.yaml');
  const r = await runHearth([
    'generate-config',
    '--server-name',
    'rotate.test',
    '--config-path',
    configPath,
    '--port',
    '0',
  ]);
  expect(r.code, r.stderr).toBe(0);
  return configPath;
}

function keyFileOf(configPath: string): string {
  const c = parse(readFileSync(configPath, 'utf8')) as { signing_key_path: string };
  return join(dirname(configPath), c.signing_key_path);
}

describe('hearth rotate-signing-key', () => {
  test('writes a new key, lists the old one in old_signing_keys, and serve publishes both', async () => {
    const configPath = await generate('rotate');
    const keyFile = keyFileOf(configPath);
    const [before] = parseSigningKeyFile(readFileSync(keyFile, 'utf8'));
    const started = Date.now();

    const r = await runHearth(['rotate-signing-key', '--config', configPath]);
    expect(r.code, r.stderr).toBe(0);
    const [after, ...more] = parseSigningKeyFile(readFileSync(keyFile, 'utf8'));
    expect(more).toEqual([]);
    expect(after!.keyId).not.toBe(before!.keyId);
    expect(after!.publicKeyBase64).not.toBe(before!.publicKeyBase64);
    expect(r.stdout).toContain(`New signing key ${after!.keyId}`);
    expect(r.stdout).toContain(`Moved to old_signing_keys in ${configPath}: ${before!.keyId}`);

    const text = readFileSync(configPath, 'utf8');
    expect(text).toMatch(/^# Hearth configuration for rotate.test/); // comments kept
    const old = (
      parse(text) as { old_signing_keys: Record<string, { key: string; expired_ts: number }> }
    ).old_signing_keys;
    expect(Object.keys(old)).toEqual([before!.keyId]);
    expect(old[before!.keyId]!.key).toBe(before!.publicKeyBase64);
    expect(old[before!.keyId]!.expired_ts).toBeGreaterThanOrEqual(started);
    expect(old[before!.keyId]!.expired_ts).toBeLessThanOrEqual(Date.now());

    const server = startHearth(['serve', '--config', configPath]);
    // The generated config trusts matrix.org: serve says so, as Synapse does.
    await server.waitForLog((l) => l.level === 40 && /trusted key server/.test(String(l.msg)));
    const line = await server.waitForLog((l) => l.msg === 'listening');
    const port = (line.addresses as { port: number }[])[0]!.port;
    const res = await fetch(`http://127.0.0.1:${port}/_matrix/key/v2/server`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, Record<string, unknown>>;
    expect(body.verify_keys).toEqual({ [after!.keyId]: { key: after!.publicKeyBase64 } });
    expect(body.old_verify_keys).toEqual({
      [before!.keyId]: { key: before!.publicKeyBase64, expired_ts: old[before!.keyId]!.expired_ts },
    });
    expect(Object.keys(body.signatures!['rotate.test'] as object)).toEqual([after!.keyId]);
    server.child.kill('SIGTERM');
    await server.exited;
  });

  test('a second rotation keeps the first old key and adds the second', async () => {
    const configPath = await generate('twice');
    const keyFile = keyFileOf(configPath);
    const first = parseSigningKeyFile(readFileSync(keyFile, 'utf8'))[0]!;
    expect((await runHearth(['rotate-signing-key', '-c', configPath])).code).toBe(0);
    const second = parseSigningKeyFile(readFileSync(keyFile, 'utf8'))[0]!;
    expect((await runHearth(['rotate-signing-key', '-c', configPath])).code).toBe(0);
    const old = (parse(readFileSync(configPath, 'utf8')) as { old_signing_keys: object })
      .old_signing_keys;
    expect(Object.keys(old).sort()).toEqual([first.keyId, second.keyId].sort());
  });

  test('refuses a config whose old_signing_keys is not a mapping, changing nothing', async () => {
    const configPath = await generate('broken');
    writeFileSync(configPath, `${readFileSync(configPath, 'utf8')}old_signing_keys: [1, 2]\n`);
    const keyBefore = readFileSync(keyFileOf(configPath), 'utf8');
    const r = await runHearth(['rotate-signing-key', '--config', configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/old_signing_keys/);
    expect(readFileSync(keyFileOf(configPath), 'utf8')).toBe(keyBefore);
  });

  test('without --config exits 2 with the usage', async () => {
    const r = await runHearth(['rotate-signing-key']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing required option --config/);
    expect(r.stderr).toMatch(/Usage: hearth rotate-signing-key --config FILE/);
  });
});

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { serverNodeFlags } from '../../main/supervisor/node-flags.js';
import { REPO_ROOT } from '../helpers/cli.js';

/**
 * Every launch of the server carries the Node flags of bin/node-flags.json (bin/hearth.js
 * says why): the `hearth` command through its #! line, `npm start`, and the supervisors
 * through serverNodeFlags (the headless one is checked on a running child in
 * test/integration/desktop/headless.test.ts). The bench starts Hearth with the same list.
 */

const flags = serverNodeFlags(REPO_ROOT);

test('bin/node-flags.json lists the V8 young-generation cap and old-generation growth', () => {
  expect(flags).toEqual(['--max-semi-space-size=8', '--heap-growing-percent=50']);
});

test("the hearth command's #! line carries the same flags", () => {
  const first = readFileSync(join(REPO_ROOT, 'bin', 'hearth.js'), 'utf8').split('\n')[0];
  // `env -S` splits the rest of the line into arguments (GNU coreutils, BSD and macOS env).
  expect(first).toBe(`#!/usr/bin/env -S node ${flags.join(' ')}`);
});

test('npm start carries the same flags', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  expect(pkg.scripts.start).toBe(`node ${flags.join(' ')} bin/hearth.js start`);
});

test('a malformed list is refused, not silently dropped', () => {
  const root = mkdtempSync(join(tmpdir(), 'hearth-flags-'));
  try {
    mkdirSync(join(root, 'bin'));
    writeFileSync(join(root, 'bin', 'node-flags.json'), '{"flags": "--x"}');
    expect(() => serverNodeFlags(root)).toThrow(/must be a JSON array of Node flags/);
    writeFileSync(join(root, 'bin', 'node-flags.json'), '["max-semi-space-size=8"]');
    expect(() => serverNodeFlags(root)).toThrow(/must be a JSON array/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

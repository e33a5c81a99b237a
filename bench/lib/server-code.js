// Server code for benchmarks that call it directly (no HTTP): bundled on the fly from the
// TypeScript sources with esbuild, as scripts/build.js does for dist/hearth.mjs (which
// exports only what the CLI and the desktop shell need), then imported.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ROOT } from './servers.js';

/**
 * Bundles `exportLines` (ES `export ... from './server/...'` lines, relative to the
 * repository root) into one module and imports it; `name` names the temporary file.
 * `externalPackages`: leave every npm package to be imported from node_modules at run time
 * (needed when the code reaches native modules other than better-sqlite3, e.g. the CLI).
 */
export async function importServerCode(name, exportLines, { externalPackages = false } = {}) {
  const dir = join(ROOT, 'node_modules', '.cache', 'hearth-bench');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `${name}-${process.pid}.mjs`);
  await build({
    stdin: {
      contents: exportLines.join('\n'),
      resolveDir: ROOT,
      loader: 'ts',
      sourcefile: `${name}-entry.ts`,
    },
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['better-sqlite3'],
    ...(externalPackages ? { packages: 'external' } : {}),
    banner: {
      js: "import { createRequire as __hearthRequire } from 'node:module'; const require = __hearthRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(outfile, { force: true });
  }
}

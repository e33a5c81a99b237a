// Builds the server into one ES module, dist/hearth.mjs, with esbuild (and a chunk for each
// part loaded later with import(), under dist/chunks/). One file starts much faster than
// hundreds of modules (start-up time is a target: docs/performance.md).
// Native modules stay outside the bundle. Type checking is `npm run check` (tsc).
// HEARTH_BUILD_MINIFY=0 keeps names as written, for CPU profiles (bench --cpu-prof).
//
// Everything is built into a fresh folder next to dist/ and swapped in at the end, so a
// build never leaves a half-written dist/ to a server or a test already running from it.
import { cpSync, existsSync, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';

const out = `dist.build-${process.pid}`;
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: { hearth: 'server/bundle.ts' },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Modules loaded with import() (the federation transport) go to chunks of their own, so
  // their Node built-ins (https, tls, dns) load only when they do.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  minify: process.env.HEARTH_BUILD_MINIFY !== '0',
  legalComments: 'linked',
  external: ['better-sqlite3', '@node-rs/bcrypt', 'sharp'],
  // CommonJS dependencies call require(); give the ES module one.
  banner: {
    js: "import { createRequire as __hearthRequire } from 'node:module'; const require = __hearthRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
cpSync('server/db/migrations', `${out}/migrations`, { recursive: true });

// The Electron shell (main/): its main process as an ES module, and the preload as
// CommonJS (a sandboxed preload cannot be an ES module). electron itself is never bundled.
const shell = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: ['electron', 'better-sqlite3', '@node-rs/bcrypt', 'sharp'],
  logLevel: 'warning',
};
await build({
  ...shell,
  entryPoints: { main: 'main/main.ts' },
  outdir: `${out}/main`,
  format: 'esm',
  banner: {
    js: "import { createRequire as __hearthRequire } from 'node:module'; const require = __hearthRequire(import.meta.url);",
  },
});
await build({
  ...shell,
  entryPoints: { preload: 'main/preload.ts' },
  outdir: `${out}/main`,
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
});

// The web app (renderer/) into dist/renderer, served at / by the server.
// HEARTH_BUILD_RENDERER=0 skips it (server-only work; the server then answers / with 503).
if (process.env.HEARTH_BUILD_RENDERER !== '0') {
  const vite = await import('vite');
  await vite.build({
    configFile: 'renderer/vite.config.ts',
    logLevel: 'warn',
    build: { outDir: resolve(out, 'renderer'), emptyOutDir: true },
  });
}

// The swap: dist/ is missing only between the two renames.
const old = `dist.old-${process.pid}`;
if (existsSync('dist')) renameSync('dist', old);
renameSync(out, 'dist');
rmSync(old, { recursive: true, force: true });

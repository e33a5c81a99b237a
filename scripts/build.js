// Builds the server into one ES module, dist/hearth.mjs, with esbuild (and a chunk for each
// part loaded later with import(), under dist/chunks/). One file starts much faster than
// hundreds of modules (start-up time is a target: docs/performance.md).
// Native modules stay outside the bundle. Type checking is `npm run check` (tsc).
// HEARTH_BUILD_MINIFY=0 keeps names as written, for CPU profiles (bench --cpu-prof).
import { cpSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { hearth: 'server/bundle.ts' },
  outdir: 'dist',
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
cpSync('server/db/migrations', 'dist/migrations', { recursive: true });

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
  outdir: 'dist/main',
  format: 'esm',
  banner: {
    js: "import { createRequire as __hearthRequire } from 'node:module'; const require = __hearthRequire(import.meta.url);",
  },
});
await build({
  ...shell,
  entryPoints: { preload: 'main/preload.ts' },
  outdir: 'dist/main',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
});

// The web app (renderer/) into dist/renderer, served at / by the server.
// HEARTH_BUILD_RENDERER=0 skips it (server-only work; the server then answers / with 503).
if (process.env.HEARTH_BUILD_RENDERER !== '0') {
  const vite = await import('vite');
  await vite.build({ configFile: 'renderer/vite.config.ts', logLevel: 'warn' });
}

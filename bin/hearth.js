#!/usr/bin/env node
// The `hearth` command. It runs the bundled server, dist/hearth.mjs (built by `npm install`
// through the prepare script, or by `npm run build`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/hearth.mjs', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'hearth: the server is not built yet; run "npm run build" (npm install does it too)\n',
  );
  process.exit(1);
}
const { runCli } = await import(entry.href);
process.exitCode = await runCli(process.argv.slice(2));

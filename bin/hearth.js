#!/usr/bin/env -S node --max-semi-space-size=8 --heap-growing-percent=50
// The `hearth` command. It runs the bundled server, dist/hearth.mjs (built by `npm install`
// through the prepare script, or by `npm run build`).
//
// The #! line carries the Node flags every launch of the server takes, listed once in
// bin/node-flags.json: `npm start` (package.json) and the supervisors (main/) pass the same,
// and test/unit/node-flags.test.ts checks that they agree. --max-semi-space-size=8 caps
// V8's young generation at 2 x 8 MiB instead of 2 x 16: under load it grows to its cap and
// stays there, and the smaller cap is about 15 MiB less RSS at no measured cost in
// throughput (docs/performance.md, "RSS under load"). --heap-growing-percent=50 lets the
// old generation grow to 1.5 times what the last full collection kept before the next
// one, where V8 would allow up to 4 times under a high allocation rate: garbage promoted
// under load (requests that outlive two young collections) is then collected at about
// 130 MiB RSS after the sends benchmark instead of 130-165, for ~3% of its throughput.
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// Start-up code runs once, yet a few of its loops (resolving modules, registering hundreds
// of routes) are hot enough for V8 to compile them with its optimising compiler, TurboFan.
// That costs about 150 ms of compiler time and pages about 5 MiB of TurboFan's own code and
// memory into a server that then sits idle (docs/performance.md, "Idle RSS"). So until the
// server is ready, functions must run longer before V8 optimises them, and small ones are
// not optimised on their first tick; the server then restores V8's defaults
// (server/core/startup-tiering.ts), and hot request paths are optimised as always. Only on
// the V8 whose defaults are listed here (Node 20's), and never inside Electron, whose V8
// may refuse flag changes after start.
const V8_DEFAULTS = {
  11.3: ['--interrupt-budget=67584', '--max-bytecode-size-for-early-opt=81'],
};
const defaults = V8_DEFAULTS[process.versions.v8.split('.').slice(0, 2).join('.')];
if (defaults && !process.versions.electron) {
  setFlagsFromString('--interrupt-budget=540672');
  setFlagsFromString('--max-bytecode-size-for-early-opt=0');
  globalThis[Symbol.for('hearth.v8FlagsAfterStartup')] = defaults;
}

const entry = new URL('../dist/hearth.mjs', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'hearth: the server is not built yet; run "npm run build" (npm install does it too)\n',
  );
  process.exit(1);
}
const { runCli } = await import(entry.href);
process.exitCode = await runCli(process.argv.slice(2));

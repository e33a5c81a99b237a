import { setFlagsFromString } from 'node:v8';

/**
 * The launcher (bin/hearth.js) may hold V8's optimising compiler back while the server
 * starts, so that code that runs once is not compiled optimised (and the compiler is not
 * paged in) before any request; it leaves the flags to restore under this symbol. Called
 * once the server is ready: from then on V8 tiers up as it always does.
 */
const AFTER_STARTUP = Symbol.for('hearth.v8FlagsAfterStartup');

export function endStartupTiering(): void {
  const global = globalThis as { [AFTER_STARTUP]?: readonly string[] };
  const flags = global[AFTER_STARTUP];
  if (!flags) return;
  delete global[AFTER_STARTUP];
  for (const flag of flags) setFlagsFromString(flag);
}

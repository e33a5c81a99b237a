/**
 * What dist/hearth.mjs exports: the CLI for bin/hearth.js, and the server start and the
 * registration MAC for tools (the benchmarks) that drive a built Hearth.
 */
export { runCli } from './cli/main.js';
export { startServer } from './main.js';
export { computeRegistrationMac } from './accounts/shared-secret.js';

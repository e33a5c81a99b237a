/**
 * What dist/hearth.mjs exports: the CLI for bin/hearth.js, and the server start and the
 * registration MAC for tools (the benchmarks) that drive a built Hearth, and the database
 * writer, SQLite opener and silent logger for the write benchmark (bench/lib/writer-bench.js).
 */
export { runCli } from './cli/main.js';
export { startServer } from './main.js';
export { computeRegistrationMac } from './accounts/shared-secret.js';
export { Writer } from './db/writer.js';
export { openSqlite } from './db/sqlite.js';
export { silentLogger } from './core/logger.js';

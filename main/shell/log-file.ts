import { createWriteStream, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The homeserver's output, kept in the app-data folder (logs/homeserver.log) for the person
 * or a bug report. One previous file is kept: past `maxBytes` at start, the log moves to
 * homeserver.log.1.
 */
export interface LogFile {
  write(stream: 'stdout' | 'stderr', line: string): void;
  close(): void;
}

export function openLogFile(path: string, maxBytes = 10 * 1024 * 1024): LogFile {
  mkdirSync(dirname(path), { recursive: true });
  try {
    if (statSync(path).size > maxBytes) renameSync(path, `${path}.1`);
  } catch {
    // No log yet.
  }
  const out = createWriteStream(path, { flags: 'a', mode: 0o600 });
  return {
    write(stream, line) {
      out.write(stream === 'stderr' ? `[stderr] ${line}\n` : `${line}\n`);
    },
    close() {
      out.end();
    },
  };
}

/**
 * A readable form of Hearth's JSON log lines for a person at a terminal:
 * `12:04:05 INFO  listening addresses=[...]`. The JSON form stays the default for
 * anything else (files, journald, log collectors), which read it better.
 */

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const OMIT = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname']);

/** Turns one JSON log line into one readable line (a line that is not JSON passes through). */
export function prettyLogLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = new Date(typeof rec.time === 'number' ? rec.time : Date.now())
    .toTimeString()
    .slice(0, 8);
  const level = LEVELS[rec.level as number] ?? String(rec.level);
  const fields = Object.entries(rec)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => {
      if (k === 'err' && typeof v === 'object' && v !== null) {
        const e = v as { message?: string; stack?: string };
        return `\n  ${e.stack ?? e.message}`;
      }
      return `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
    });
  return `${time} ${level} ${String(rec.msg ?? '')}${fields.length ? ' ' : ''}${fields.join(' ')}`;
}

/** A pino destination that writes readable lines to a stream (stdout at a terminal). */
export function prettyDestination(out: NodeJS.WritableStream): { write(chunk: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(`${prettyLogLine(line)}\n`);
    },
  };
}

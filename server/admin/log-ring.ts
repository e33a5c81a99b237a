import pino from 'pino';
import type { Logger } from '../core/logger.js';

/**
 * The newest structured log lines, kept in memory for GET /_hearth/admin/v1/logs (the
 * admin views' log tail). The logger hands every line it writes, already serialized and
 * with its secrets redacted (core/logger.ts), to `push`: an array slot write, no parsing.
 * Lines are parsed only when an admin reads them.
 */
export class LogRing {
  private readonly lines: string[] = [];
  private next = 0;

  constructor(
    readonly capacity = 1000,
    /** A longer line is cut (its JSON then no longer parses; it is served as text). */
    private readonly maxLineChars = 8192,
  ) {}

  push(line: string): void {
    const text = line.length > this.maxLineChars ? line.slice(0, this.maxLineChars) : line;
    if (this.lines.length < this.capacity) this.lines.push(text);
    else this.lines[this.next] = text;
    this.next = (this.next + 1) % this.capacity;
  }

  /** The newest `limit` lines, oldest first, parsed back into objects. */
  tail(limit: number): Record<string, unknown>[] {
    const n = Math.min(limit, this.lines.length);
    const out: Record<string, unknown>[] = [];
    for (let i = n; i > 0; i--) {
      const raw = this.lines[(this.next - i + this.capacity * 2) % this.capacity]!;
      out.push(parseLine(raw));
    }
    return out;
  }
}

function parseLine(raw: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // a line cut at maxLineChars
  }
  return { msg: raw.trimEnd(), truncated: true };
}

/**
 * Rings by the stream their logger writes to: a child logger (ctx.log.child(...)) shares its
 * root's stream, so any logger of a server finds that server's ring.
 */
const ringsByStream = new WeakMap<object, LogRing>();

function streamOf(log: Logger): object | undefined {
  const stream = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  return stream && typeof stream === 'object' ? stream : undefined;
}

/**
 * Makes `ring` the log tail of `log` and of its children; `ring` must be fed by the
 * logger's `onLine` (core/logger.ts createLogger).
 */
export function attachLogRing(log: Logger, ring: LogRing): void {
  const stream = streamOf(log);
  if (stream) ringsByStream.set(stream, ring);
}

/** The ring of the logger's root, if it has one (a silent test logger has none). */
export function logRingOf(log: Logger): LogRing | undefined {
  const stream = streamOf(log);
  return stream ? ringsByStream.get(stream) : undefined;
}

/**
 * Friendly figures for the admin views: sizes, dates, durations. Pure functions (no DOM),
 * unit-tested under Node; a locale and time zone may be passed so tests are stable.
 */

const SIZE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Bytes as a person reads them: "0 B", "812 B", "1.5 MB" (powers of 1000, like file managers). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const shown = value >= 100 ? Math.round(value).toString() : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${SIZE_UNITS[unit]}`;
}

/** A count with grouping separators ("12,345"); "—" when unknown. */
export function formatCount(n: number | null | undefined, locale?: string): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return new Intl.NumberFormat(locale).format(n);
}

export interface DateOptions {
  locale?: string;
  timeZone?: string;
}

/** A timestamp (ms since the epoch) as a date and time; "—" for none. */
export function formatDateTime(ts: number | null | undefined, opts: DateOptions = {}): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts) || ts <= 0) return '—';
  return new Intl.DateTimeFormat(opts.locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: opts.timeZone,
  }).format(new Date(ts));
}

/** A timestamp as a date only ("27 Nov 2026"). */
export function formatDate(ts: number | null | undefined, opts: DateOptions = {}): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts) || ts <= 0) return '—';
  return new Intl.DateTimeFormat(opts.locale, {
    dateStyle: 'medium',
    timeZone: opts.timeZone,
  }).format(new Date(ts));
}

/** A length of time in its two largest units: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** How long ago (or how far ahead) a moment is: "just now", "5 minutes ago", "in 3 days". */
export function formatRelative(
  ts: number | null | undefined,
  now: number,
  locale?: string,
): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts) || ts <= 0) return '—';
  const diff = ts - now;
  const abs = Math.abs(diff);
  if (abs < 45_000) return 'just now';
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const steps: [number, Intl.RelativeTimeFormatUnit][] = [
    [60_000, 'second'],
    [3_600_000, 'minute'],
    [86_400_000, 'hour'],
    [30 * 86_400_000, 'day'],
    [365 * 86_400_000, 'month'],
  ];
  const units: Record<string, number> = {
    second: 1000,
    minute: 60_000,
    hour: 3_600_000,
    day: 86_400_000,
    month: 30 * 86_400_000,
  };
  for (const [limit, unit] of steps) {
    if (abs < limit) return rtf.format(Math.round(diff / units[unit]!), unit);
  }
  return rtf.format(Math.round(diff / (365 * 86_400_000)), 'year');
}

/** The server part of a Matrix ID ("@a:example.org" -> "example.org"). */
export function serverOf(id: string): string {
  const i = id.indexOf(':');
  return i < 0 ? '' : id.slice(i + 1);
}

const PINO_LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** A log line's level as a word, whether the log gave pino's number or a name. */
export function logLevelName(level: unknown): string {
  if (typeof level === 'number') return PINO_LEVELS[level] ?? String(level);
  if (typeof level === 'string') return level.toLowerCase();
  return 'info';
}

/** A log line's time (ms number or ISO string) as "HH:MM:SS" for the log tail. */
export function formatLogTime(time: unknown, opts: DateOptions = {}): string {
  const t = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : NaN;
  if (!Number.isFinite(t)) return '';
  return new Intl.DateTimeFormat(opts.locale ?? 'en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZone: opts.timeZone,
  }).format(new Date(t));
}

// The results table, printed as Markdown so it can be pasted into docs/performance.md.

export function fmtMs(x) {
  return Number.isFinite(x) ? `${Math.round(x)} ms` : 'n/a';
}

export function fmtMiB(bytes) {
  return Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : 'n/a';
}

export function fmtRate(x, unit) {
  if (!Number.isFinite(x)) return 'n/a';
  const digits = x >= 100 ? 0 : x >= 10 ? 1 : 2;
  return `${x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
}

export function fmtPct(ratio) {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)}%` : 'n/a';
}

export function fmtSigned(x, fmt) {
  if (!Number.isFinite(x)) return 'n/a';
  return `${x >= 0 ? '+' : '-'}${fmt(Math.abs(x))}`;
}

/** A Markdown table with padded columns. rows: arrays of strings; the first is the header. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  const line = (r) => `| ${r.map((c, i) => String(c ?? '').padEnd(widths[i])).join(' | ')} |`;
  return [
    line(rows[0]),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

/** "yes"/"no" against a target, or "-" when there is no figure. */
export function verdict(ok) {
  return ok === undefined || ok === null ? '-' : ok ? 'yes' : 'NO';
}

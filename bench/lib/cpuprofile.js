// Self time by function from a V8 .cpuprofile (what `node --cpu-prof` writes at exit): the
// question "where does the process spend its CPU?" answered without a UI. Frames of the
// minified bundle are mapped back to their TypeScript source through its source map
// (dist/hearth.mjs.map), so read the profile before the next build replaces the bundle.
// As a script: `node bench/lib/cpuprofile.js FILE.cpuprofile [TOP]` prints Markdown tables;
// with `--callers NAME` it shows where the self time of functions named NAME was spent from
// (e.g. `--callers all`: which queries the time in better-sqlite3's .all() belongs to).
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { table } from './report.js';

/** V8's pseudo-frames: not JavaScript of any module. */
const IDLE = '(idle)';

/**
 * Sums the self time of every sample by function name + url + line and returns the `top`
 * heaviest, with the profile's total, idle and busy (non-idle) ms. A sample lasts until the
 * next one (timeDeltas[i + 1]), the way DevTools counts it.
 */
export function summariseProfile(file, top = 30) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const locate = sourceLocator();
  const byFunction = new Map();
  const byUrl = new Map();
  let totalUs = 0;
  let idleUs = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const us = timeDeltas[i + 1] ?? 0;
    const f = frames.get(samples[i]);
    totalUs += us;
    if (f.functionName === IDLE) {
      idleUs += us;
      continue;
    }
    const { url, line, name } = locate(f);
    const key = `${name || f.functionName || '(anonymous)'}\u0000${url}\u0000${line ?? ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byUrl.set(url, (byUrl.get(url) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const share = (us) => Math.round((us / busyUs) * 1000) / 10;
  const heaviest = [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => {
      const [fn, url, line] = key.split('\u0000');
      return {
        fn,
        url,
        line: line ? Number(line) : null,
        selfMs: Math.round(us / 1000),
        pct: share(us),
      };
    });
  const urls = [...byUrl]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([url, us]) => ({ url, selfMs: Math.round(us / 1000), pct: share(us) }));
  return {
    totalMs: Math.round(totalUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    top: heaviest,
    byUrl: urls,
  };
}

/**
 * Where a frame's function is: its TypeScript source and line when its file has a source
 * map beside it (and the original name when the map has one), else its url and line.
 */
function sourceLocator() {
  const maps = new Map();
  const mapFor = (url) => {
    if (!maps.has(url)) {
      let map = null;
      try {
        const file = `${fileURLToPath(url)}.map`;
        if (existsSync(file)) map = new SourceMap(JSON.parse(readFileSync(file, 'utf8')));
      } catch {
        map = null;
      }
      maps.set(url, map);
    }
    return maps.get(url);
  };
  return (f) => {
    const map = f.url.startsWith('file:') ? mapFor(f.url) : null;
    const e = map?.findEntry(f.lineNumber, f.columnNumber);
    if (e?.originalSource) {
      const source = e.originalSource.replace(/^(\.\.\/)+/, '');
      return { url: source, line: e.originalLine + 1, name: e.name };
    }
    return { url: shortUrl(f.url), line: f.url ? f.lineNumber + 1 : null };
  };
}

/**
 * The self time of the frames whose function is `name`, by their chain of `depth` callers
 * (nearest first), heaviest `top` chains: where a hot leaf is called from.
 */
export function callersOf(file, name, { depth = 3, top = 10 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const locate = sourceLocator();
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => {
    const { url, line, name: mapped } = locate(n.callFrame);
    return `${mapped || n.callFrame.functionName || '(anonymous)'} (${line ? `${url}:${line}` : url})`;
  };
  const selfUs = new Map();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  });
  const byChain = new Map();
  for (const [id, us] of selfUs) {
    const n = nodes.get(id);
    if (n.callFrame.functionName !== name && locate(n.callFrame).name !== name) continue;
    const chain = [];
    for (let p = parent.get(id); p !== undefined && chain.length < depth; p = parent.get(p)) {
      chain.push(label(nodes.get(p)));
    }
    const key = chain.join(' < ');
    byChain.set(key, (byChain.get(key) ?? 0) + us);
  }
  return [...byChain]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([chain, us]) => ({ selfMs: Math.round(us / 1000), calledFrom: chain }));
}

/** A url short enough for a table: the bundle and node_modules paths trimmed. */
function shortUrl(url) {
  if (!url) return '(native or V8)';
  return url
    .replace(/^file:\/\/.*\/node_modules\//, 'node_modules/')
    .replace(/^file:\/\/.*\/(dist|bench|bin)\//, '$1/');
}

/** The summary as a Markdown table: share of busy time, self ms, function, where. */
export function profileTable(summary) {
  const rows = [['self % of busy', 'self ms', 'function', 'where']];
  for (const t of summary.top) {
    rows.push([`${t.pct}%`, String(t.selfMs), t.fn, t.line ? `${t.url}:${t.line}` : t.url]);
  }
  return table(rows);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--callers');
  const callersName = at >= 0 ? args.splice(at, 2)[1] : undefined;
  const [file, top] = args;
  if (!file || (at >= 0 && !callersName)) {
    process.stderr.write(
      'usage: node bench/lib/cpuprofile.js FILE.cpuprofile [TOP] [--callers NAME]\n',
    );
    process.exit(2);
  }
  if (callersName) {
    const rows = callersOf(file, callersName, { top: Number(top ?? 10) });
    const out = rows.map((r) => [String(r.selfMs), r.calledFrom]);
    process.stdout.write(`${table([['self ms', `${callersName} called from`], ...out])}\n`);
    process.exit(0);
  }
  const s = summariseProfile(file, Number(top ?? 30));
  process.stdout.write(
    `${s.totalMs} ms profiled, ${s.idleMs} ms idle, ${s.busyMs} ms busy\n\n${profileTable(s)}\n\n`,
  );
  process.stdout.write(
    `${table([['self % of busy', 'self ms', 'url'], ...s.byUrl.map((u) => [`${u.pct}%`, String(u.selfMs), u.url])])}\n`,
  );
}

import { useState } from 'react';
import { server, type LogLine } from './client';
import { useAdmin } from './context';
import { isUnsupported } from './errors';
import {
  formatBytes,
  formatCount,
  formatDateTime,
  formatDuration,
  formatLogTime,
  logLevelName,
} from './format';
import { Badge, ErrorNote, Loading } from './parts';
import { useLoad } from './use-load';

const LOG_LEVELS = ['all', 'info', 'warn', 'error'] as const;
const RANK: Record<string, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, fatal: 5 };

/** The server: version, uptime, memory, sizes and counts; reachability; the log tail. */
export function ServerScreen() {
  const { call } = useAdmin();
  const status = useLoad(() => server.status(call), [call]);
  const reach = useLoad(() => server.reachability(call).catch(() => null), [call]);
  const s = status.data;

  return (
    <section aria-labelledby="adm-server-h">
      <div className="adm-head">
        <h1 id="adm-server-h">Server</h1>
        <button type="button" onClick={status.reload} disabled={status.loading}>
          Refresh
        </button>
      </div>
      <ErrorNote error={status.error} onRetry={status.reload} />
      {status.loading && !s && <Loading what="server status" />}
      {s && (
        <dl className="adm-stats" aria-busy={status.loading}>
          <Stat label="Version" value={s.server_version} />
          <Stat
            label="Uptime"
            value={formatDuration(s.uptime_ms)}
            sub={`since ${formatDateTime(s.started_ts)}`}
          />
          <Stat
            label="Memory (RSS)"
            value={formatBytes(s.rss_bytes)}
            sub={`${formatBytes(s.heap_used_bytes)} JavaScript heap`}
          />
          <Stat label="Database" value={formatBytes(s.database_bytes)} />
          <Stat label="Media" value={formatBytes(s.media_bytes)} />
          <Stat label="Users" value={formatCount(s.users)} />
          <Stat label="Rooms" value={formatCount(s.rooms)} />
          <Stat label="Events" value={formatCount(s.events)} />
        </dl>
      )}
      {reach.data && (
        <div className="adm-panel">
          <h2>Reachability</h2>
          <p>{reach.data.summary}</p>
          <ul className="adm-reach">
            {reach.data.items.map((it) => (
              <li key={it.id}>
                <Badge tone={it.ok === null ? 'plain' : it.ok ? 'ok' : 'bad'}>
                  {it.ok === null ? 'Not checked' : it.ok ? 'OK' : 'Problem'}
                </Badge>{' '}
                <strong>{it.label}</strong>
                <div className="adm-soft">{it.detail}</div>
                {it.ok === false && it.fix && <div>How to fix: {it.fix}</div>}
              </li>
            ))}
          </ul>
          <p className="adm-soft">Checked {formatDateTime(reach.data.checked_ts)}</p>
        </div>
      )}
      <LogTail />
    </section>
  );
}

function Stat(props: { label: string; value: string; sub?: string }) {
  return (
    <div className="adm-stat">
      <dt>{props.label}</dt>
      <dd>
        <span className="adm-stat-value">{props.value}</span>
        {props.sub && <span className="adm-soft adm-stat-sub">{props.sub}</span>}
      </dd>
    </div>
  );
}

function LogTail() {
  const { call } = useAdmin();
  const logs = useLoad(() => server.logs(call, 200), [call]);
  const [min, setMin] = useState<(typeof LOG_LEVELS)[number]>('all');
  const lines = (logs.data?.lines ?? []).filter(
    (l) => min === 'all' || (RANK[logLevelName(l.level)] ?? 2) >= RANK[min]!,
  );
  if (logs.error && isUnsupported(logs.error)) return null;
  return (
    <div className="adm-panel">
      <div className="adm-head">
        <h2>Recent log</h2>
        <div className="adm-row">
          <label>
            Show{' '}
            <select value={min} onChange={(e) => setMin(e.target.value as typeof min)}>
              {LOG_LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l === 'all' ? 'all lines' : `${l} and worse`}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={logs.reload} disabled={logs.loading}>
            Refresh log
          </button>
        </div>
      </div>
      <ErrorNote error={logs.error} onRetry={logs.reload} />
      {logs.loading && !logs.data && <Loading what="the log" />}
      {logs.data && (
        <ol className="adm-log" tabIndex={0} aria-label="Recent log lines, newest last">
          {lines.length === 0 && <li>No log lines.</li>}
          {lines.map((l, i) => (
            <LogRow key={i} line={l} />
          ))}
        </ol>
      )}
    </div>
  );
}

function LogRow(props: { line: LogLine }) {
  const { time, level, msg, ...rest } = props.line;
  const name = logLevelName(level);
  const extra = Object.entries(rest)
    .filter(([k]) => !['pid', 'hostname', 'v'].includes(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return (
    <li className={`adm-log-${name}`}>
      <span className="adm-log-time">{formatLogTime(time)}</span>{' '}
      <span className="adm-log-level">{name.toUpperCase()}</span> {msg}
      {extra && <span className="adm-soft"> {extra}</span>}
    </li>
  );
}

import type { SupervisorState } from '../supervisor/state.js';

/**
 * The page the window shows while the homeserver is not running: starting, restarting after
 * a crash (with the countdown's reason), or stopped after a crash loop (why, the last lines
 * it wrote, and "Try again"). A self-contained page with no script at all (the preload binds
 * the button), under a CSP that allows nothing but its inline styles.
 */
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function statusPageHtml(state: SupervisorState): string {
  let title: string;
  let body: string;
  switch (state.status) {
    case 'starting':
    case 'stopped':
      title = 'Starting Hearth…';
      body = '<p role="status">Your homeserver is starting. This takes a few seconds.</p>';
      break;
    case 'running':
      title = 'Hearth is running';
      body = '<p role="status">Opening…</p>';
      break;
    case 'stopping':
      title = 'Stopping Hearth…';
      body = '<p role="status">Sending what is queued and closing the database.</p>';
      break;
    case 'restarting': {
      const secs = Math.max(1, Math.ceil(state.inMs / 1000));
      title = 'Hearth stopped unexpectedly';
      body =
        `<p role="status">It will start again in ${secs} s.</p>` +
        '<p><button id="hearth-retry" type="button">Try again now</button></p>';
      break;
    }
    case 'crashed': {
      const lines = state.crash.stderrTail.join('\n');
      title = 'Hearth has stopped';
      body =
        `<p role="alert">${escape(state.crash.message)}</p>` +
        '<p>It will not restart by itself until you try again. The lines below are what it ' +
        'wrote last; they usually say what is wrong (a port in use, a damaged config).</p>' +
        (lines ? `<pre aria-label="Last log lines">${escape(lines)}</pre>` : '') +
        '<p><button id="hearth-retry" type="button">Try again</button></p>';
      break;
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="color-scheme" content="light dark">
<title>${escape(title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}
pre{white-space:pre-wrap;font-size:12px;padding:.75rem;border-radius:8px;background:color-mix(in srgb,currentColor 8%,transparent);max-height:50vh;overflow:auto}
button{font:inherit;padding:.5em 1em;border-radius:8px}
</style></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

/** As a data: URL for BrowserWindow.loadURL. */
export function statusPageUrl(state: SupervisorState): string {
  return `data:text/html;charset=utf-8,${encodeURIComponent(statusPageHtml(state))}`;
}

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: `node bin/hearth.js` runs from here, as after `npm install`. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A `hearth` process left running (serve): its output so far, and ways to wait and stop. */
export interface HearthProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout JSON log line that `match` accepts; rejects if it exits first. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Resolves when the process has exited. */
  exited: Promise<CliResult>;
}

const running = new Set<ChildProcess>();

/**
 * Starts `node [NODE_ARGS] bin/hearth.js ARGS`; stdin gets `input` (then EOF), or nothing.
 */
export function startHearth(
  args: string[],
  opts: { input?: string; cwd?: string; nodeArgs?: string[] } = {},
): HearthProcess {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), 'bin/hearth.js', ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdin!.on('error', () => {}); // the process may exit before reading its input
  child.stdin!.end(opts.input ?? '');
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLog(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        let done = false;
        const check = () => {
          if (done) return;
          for (const line of out.split('\n')) {
            if (!line.startsWith('{')) continue;
            let parsed: Record<string, unknown>;
            try {
              parsed = JSON.parse(line) as Record<string, unknown>;
            } catch {
              continue; // a line still being written
            }
            if (match(parsed)) return finish(() => resolve(parsed));
          }
        };
        const finish = (f: () => void) => {
          done = true;
          clearTimeout(timer);
          child.stdout!.off('data', check);
          f();
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new Error(
                  `no matching log line within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`,
                ),
              ),
            ),
          timeoutMs,
        );
        child.stdout!.on('data', check);
        void exited.then((r) => {
          check();
          if (!done)
            finish(() =>
              reject(
                new Error(
                  `hearth exited (${r.code ?? r.signal}) first\nstdout:\n${out}\nstderr:\n${err}`,
                ),
              ),
            );
        });
        check();
      });
    },
  };
}

/** Runs `node bin/hearth.js ARGS` to its end; kills it and rejects after `timeoutMs`. */
export async function runHearth(
  args: string[],
  opts: { input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const p = startHearth(args, opts);
  const timeoutMs = opts.timeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      p.child.kill('SIGKILL');
      reject(
        new Error(
          `hearth ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${p.stdout()}\nstderr:\n${p.stderr()}`,
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([p.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Kills every hearth process the tests started that is still running (for afterAll). */
export async function killAllHearth(): Promise<void> {
  const left = [...running];
  await Promise.all(
    left.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

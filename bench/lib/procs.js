// Child processes and temporary directories of a benchmark run. Every child spawned through
// spawnTracked() and every directory from tempDir() is removed by cleanup(), which runs at
// the end of the run, on an error, on SIGINT/SIGTERM/SIGHUP and (synchronously) on exit.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';

const children = new Set();
const dirs = new Set();
let installed = false;

function installHandlers() {
  if (installed) return;
  installed = true;
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig} received, stopping children and removing temp dirs\n`);
      cleanup();
      process.exit(130);
    });
  }
}

/** A new directory under os.tmpdir(), removed by cleanup(). */
export function tempDir(prefix = 'hearth-bench-') {
  installHandlers();
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/**
 * spawn() whose child is remembered until it exits. stdout and stderr are piped and always
 * drained (a full pipe would stall the child); the last 64 KiB of each is kept on
 * child.output for error messages, and onLine (if given) sees each stdout line.
 */
export function spawnTracked(command, args, { env, cwd, onLine } = {}) {
  installHandlers();
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.output = { stdout: '', stderr: '' };
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      children.delete(child);
      child.spawnError = err;
      resolve({ code: null, signal: null, error: err });
    });
  });
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    child.output.stdout = (child.output.stdout + chunk).slice(-65536);
    if (!onLine) return;
    partial += chunk;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      onLine(line);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    child.output.stderr = (child.output.stderr + chunk).slice(-65536);
  });
  return child;
}

function isRunning(child) {
  return child.exitCode === null && child.signalCode === null && !child.spawnError;
}

/** Resolves with the child's exit, or with null after timeoutMs. */
export async function waitExit(child, timeoutMs) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    return await Promise.race([child.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then SIGKILL if the child has not exited after graceMs. */
export async function stop(child, graceMs = 5000) {
  if (!isRunning(child)) return child.exited;
  child.kill('SIGTERM');
  const res = await waitExit(child, graceMs);
  if (res) return res;
  child.kill('SIGKILL');
  return waitExit(child, 2000);
}

/** Kills every child still running and removes every temp dir. Synchronous. */
export function cleanup() {
  for (const child of children) {
    try {
      if (isRunning(child)) child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // nothing more to do at exit
    }
  }
  dirs.clear();
}

/** Runs `node ...args` to completion (bounded by timeoutMs) and resolves with its stdout. */
export async function runChild(args, { timeoutMs = 60_000, env, cwd } = {}) {
  const child = spawnTracked(process.execPath, args, { env, cwd });
  const res = await waitExit(child, timeoutMs);
  if (!res) {
    await stop(child, 1000);
    throw new Error(`node ${args.join(' ')} did not finish within ${timeoutMs} ms`);
  }
  if (res.code !== 0) {
    const out = (child.output.stderr || child.output.stdout).slice(-2000);
    throw new Error(
      `node ${args.join(' ').slice(0, 200)} exited with ${res.code ?? res.signal}: ${out}`,
    );
  }
  return child.output.stdout;
}

/** runChild() for a script that prints its result as JSON on its last line. */
export async function runJsonChild(args, opts) {
  const lines = (await runChild(args, opts)).trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { verifyPayload } from './signing.js';

/**
 * Many ed25519 checks at once, on two cores: the room state of a join (tens of thousands of
 * events) or a page of history is checked in one batch, and the verification itself is
 * about 80% of checking an event's signature. Below BATCH_MIN checks, or on a one-core
 * machine, everything runs here; above it, a worker thread takes the larger share while
 * this thread checks the rest, each with node:crypto. The worker starts at the first big
 * batch (a server that never joins a big room never has one) and stops after IDLE_MS.
 */

export interface VerifyJob {
  /** The signing payload (canonical JSON; see signing.ts signingPayload). */
  payload: string;
  signatureBase64: string;
  publicKeyBase64: string;
}

/** Fewer checks than this are not worth a message to the worker. */
const BATCH_MIN = 32;
/** The worker's share: this thread also prepares the payloads and answers requests. */
const WORKER_SHARE = 0.55;
/** The worker stops after this long without work. */
const IDLE_MS = 30_000;

// A CommonJS script (eval): node:crypto only, so it needs no file of its own in the build.
// Inputs were checked here (key 32 bytes, signature 64) before they were sent.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const keys = new Map();
const bytes = (b64) => Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
parentPort.on('message', ({ id, payloads, signatures, publicKeys }) => {
  const out = new Uint8Array(payloads.length);
  for (let i = 0; i < payloads.length; i++) {
    let key = keys.get(publicKeys[i]);
    if (!key) {
      key = createPublicKey({ key: Buffer.concat([SPKI, bytes(publicKeys[i])]), format: 'der', type: 'spki' });
      if (keys.size > 1024) keys.clear();
      keys.set(publicKeys[i], key);
    }
    try {
      out[i] = verify(null, Buffer.from(payloads[i]), key, bytes(signatures[i])) ? 1 : 0;
    } catch {
      out[i] = 0;
    }
  }
  parentPort.postMessage({ id, out }, [out.buffer]);
});
`;

let worker: Worker | null = null;
let idleTimer: NodeJS.Timeout | null = null;
let nextId = 0;
const waiting = new Map<
  number,
  { resolve: (out: Uint8Array) => void; reject: (e: Error) => void }
>();

function getWorker(): Worker {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  if (worker) return worker;
  const w = new Worker(WORKER_SOURCE, { eval: true });
  w.unref();
  w.on('message', ({ id, out }: { id: number; out: Uint8Array }) => {
    const entry = waiting.get(id);
    waiting.delete(id);
    entry?.resolve(out);
    if (!waiting.size) scheduleStop();
  });
  w.on('error', (err) => fail(w, err));
  w.on('exit', (code) => fail(w, new Error(`the verification worker exited (${code})`)));
  return (worker = w);
}

function fail(w: Worker, err: Error): void {
  if (worker !== w) return;
  worker = null;
  for (const entry of waiting.values()) entry.reject(err);
  waiting.clear();
}

function scheduleStop(): void {
  idleTimer = setTimeout(() => {
    const w = worker;
    worker = null;
    void w?.terminate();
  }, IDLE_MS);
  idleTimer.unref();
}

/** Whether a key and a signature have the lengths ed25519 needs (cheap; before sending). */
function wellFormed(job: VerifyJob): boolean {
  const b64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;
  return (
    b64.test(job.publicKeyBase64) &&
    b64.test(job.signatureBase64) &&
    Buffer.byteLength(job.publicKeyBase64.replace(/=+$/, ''), 'base64') === 32 &&
    Buffer.byteLength(job.signatureBase64.replace(/=+$/, ''), 'base64') === 64
  );
}

/** Checks every job; resolves with one boolean per job, in order. */
export async function verifyPayloads(jobs: readonly VerifyJob[]): Promise<boolean[]> {
  if (jobs.length < BATCH_MIN || availableParallelism() < 2) {
    return jobs.map((j) => verifyPayload(j.payload, j.signatureBase64, j.publicKeyBase64));
  }
  const split = Math.floor(jobs.length * (1 - WORKER_SHARE));
  const theirs = jobs.slice(split);
  const sendable = theirs.map(wellFormed);
  const sent = theirs.filter((_, i) => sendable[i]);
  const id = nextId++;
  const fromWorker = new Promise<Uint8Array>((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    getWorker().postMessage({
      id,
      payloads: sent.map((j) => j.payload),
      signatures: sent.map((j) => j.signatureBase64),
      publicKeys: sent.map((j) => j.publicKeyBase64),
    });
  });
  const mine = jobs
    .slice(0, split)
    .map((j) => verifyPayload(j.payload, j.signatureBase64, j.publicKeyBase64));
  let out: Uint8Array;
  try {
    out = await fromWorker;
  } catch {
    // A worker that failed leaves the checks to this thread.
    return jobs.map((j) => verifyPayload(j.payload, j.signatureBase64, j.publicKeyBase64));
  }
  let k = 0;
  return [...mine, ...sendable.map((ok) => ok && out[k++] === 1)];
}

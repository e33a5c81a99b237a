import type { Ctx } from '../context.js';
import { MatrixError } from '../core/errors.js';

/**
 * "Pause federation" (the desktop tray's switch, and the admin endpoint for headless
 * servers): while paused, this server neither sends to nor accepts requests from other
 * servers. Outgoing PDUs and EDUs stay queued in the database and go out on resume, so
 * nothing is lost; incoming requests get 503 and the other servers retry later, as they do
 * for any server that is down. Client traffic on this server is unaffected.
 *
 * The state lives with the running context (not in the config): a restart starts unpaused
 * unless the supervisor passes HEARTH_FEDERATION_PAUSED=1 (the desktop shell keeps the
 * person's choice across restarts that way).
 */
interface PauseState {
  paused: boolean;
  listeners: Set<(paused: boolean) => void>;
}

const states = new WeakMap<Ctx, PauseState>();

function stateOf(ctx: Ctx): PauseState {
  let s = states.get(ctx);
  if (!s) {
    s = { paused: process.env.HEARTH_FEDERATION_PAUSED === '1', listeners: new Set() };
    states.set(ctx, s);
  }
  return s;
}

export function isFederationPaused(ctx: Ctx): boolean {
  return states.get(ctx)?.paused ?? process.env.HEARTH_FEDERATION_PAUSED === '1';
}

/** Pauses or resumes federation; listeners (the sender) hear of a change, not a repeat. */
export function setFederationPaused(ctx: Ctx, paused: boolean): void {
  const s = stateOf(ctx);
  if (s.paused === paused) return;
  s.paused = paused;
  ctx.log.info({ paused }, paused ? 'federation paused' : 'federation resumed');
  for (const l of s.listeners) l(paused);
}

/** Calls `listener` on each change; returns the unsubscribe function. */
export function onFederationPauseChange(ctx: Ctx, listener: (paused: boolean) => void): () => void {
  const s = stateOf(ctx);
  s.listeners.add(listener);
  return () => s.listeners.delete(listener);
}

/** What a federation request gets while paused. */
export function federationPausedError(): MatrixError {
  return new MatrixError(
    'M_UNAVAILABLE',
    'This server has paused federation; try again later',
    503,
  );
}

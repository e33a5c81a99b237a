import { randomString } from '../core/clock.js';
import { HttpError, MatrixError } from '../core/errors.js';
import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import { checkPassword } from './password.js';
import { resolveLoginUser } from './identifiers.js';
import * as store from './store.js';
import * as uiaStore from './uia-store.js';
import { isObject } from '../core/is-object.js';

/**
 * User-Interactive Authentication (spec: client-server API, "User-Interactive
 * Authentication API"). An operation names its flows; the client completes stages one
 * request at a time within a session, and the operation runs once a whole flow is done.
 * Sessions live in the database, bound to the operation (URI and method) that started them.
 */

export const STAGE = {
  dummy: 'm.login.dummy',
  password: 'm.login.password',
  registrationToken: 'm.login.registration_token',
} as const;

/** Sessions older than this are dropped (Synapse: 48 hours). */
const SESSION_LIFETIME_MS = 48 * 3600 * 1000;

export interface UiaRequest {
  /** The `auth` field of the request body, as sent. */
  auth: unknown;
  /** Identifies the operation: a session cannot be reused for another one. */
  uri: string;
  method: string;
  flows: string[][];
  /** For an operation on an existing account: the user who must authenticate. */
  userId: string | null;
  /** Request parameters kept with the session and returned on completion (registration). */
  requestParams?: Record<string, unknown>;
}

export interface UiaResult {
  sessionId: string;
  /** stage -> what it established (the user id for m.login.password, the token, true) */
  completed: Record<string, unknown>;
  /** The parameters stored when the session began. */
  params: Record<string, unknown>;
}

function challenge(
  req: UiaRequest,
  sessionId: string,
  completed: string[],
  error?: { errcode: string; error: string },
): HttpError {
  return new HttpError(401, {
    flows: req.flows.map((stages) => ({ stages })),
    params: {},
    session: sessionId,
    ...(completed.length ? { completed } : {}),
    ...(error ?? {}),
  });
}

/**
 * Runs the UIA step of an operation. Returns once a flow is complete; otherwise throws the
 * 401 challenge (with the stage's error when a stage failed). Call `finishUia` in the
 * transaction that performs the operation.
 */
export async function requireUia(ctx: Ctx, req: UiaRequest): Promise<UiaResult> {
  const auth = isObject(req.auth) ? req.auth : null;
  const sessionId = typeof auth?.session === 'string' ? auth.session : null;
  if (!sessionId) {
    const id = randomString(ctx.random, 24);
    await ctx.writer.transaction('create_uia_session', async (tx) => {
      await purgeExpiredSessions(ctx, tx);
      await uiaStore.insertUiaSession(tx, {
        sessionId: id,
        createdTs: ctx.clock.now(),
        uri: req.uri,
        method: req.method,
        userId: req.userId,
        params: req.requestParams ?? {},
      });
    });
    if (!auth?.type) throw challenge(req, id, []);
    return requireUia(ctx, { ...req, auth: { ...auth, session: id } });
  }
  const session = await uiaStore.getUiaSession(ctx.db, sessionId);
  if (!session || session.created_ts < ctx.clock.now() - SESSION_LIFETIME_MS) {
    throw new MatrixError('M_UNKNOWN', `Unknown session ID: ${sessionId}`, 400);
  }
  if (session.uri !== req.uri || session.method !== req.method || session.user_id !== req.userId) {
    throw new MatrixError(
      'M_FORBIDDEN',
      'Requested operation has changed during the UI authentication session',
      403,
    );
  }
  const completed = JSON.parse(session.completed_json) as Record<string, unknown>;
  const params = JSON.parse(session.params_json) as Record<string, unknown>;
  const stage = typeof auth?.type === 'string' ? auth.type : null;
  if (stage && !(stage in completed)) {
    if (!req.flows.some((f) => f.includes(stage))) {
      throw challenge(req, sessionId, Object.keys(completed), {
        errcode: 'M_UNRECOGNIZED',
        error: `Authentication stage ${stage} is not offered here`,
      });
    }
    const outcome = await completeStage(ctx, req, stage, auth!);
    if ('error' in outcome) throw challenge(req, sessionId, Object.keys(completed), outcome.error);
    completed[stage] = outcome.value;
    await ctx.writer.transaction('complete_uia_stage', async (tx) => {
      await uiaStore.setUiaCompleted(tx, sessionId, completed);
      if (stage === STAGE.registrationToken) {
        await uiaStore.adjustRegistrationTokenUses(tx, String(outcome.value), 1, 0);
      }
    });
  }
  const done = Object.keys(completed);
  if (!req.flows.some((f) => f.every((s) => done.includes(s))))
    throw challenge(req, sessionId, done);
  return { sessionId, completed, params };
}

/** Ends a completed session inside the operation's transaction; a used registration token counts. */
export async function finishUia(tx: Tx, result: UiaResult): Promise<void> {
  const token = result.completed[STAGE.registrationToken];
  if (typeof token === 'string') await uiaStore.adjustRegistrationTokenUses(tx, token, -1, 1);
  await uiaStore.deleteUiaSession(tx, result.sessionId);
}

type StageOutcome = { value: unknown } | { error: { errcode: string; error: string } };

async function completeStage(
  ctx: Ctx,
  req: UiaRequest,
  stage: string,
  auth: Record<string, unknown>,
): Promise<StageOutcome> {
  switch (stage) {
    case STAGE.dummy:
      return { value: true };
    case STAGE.password: {
      const userId = await resolveLoginUser(ctx, auth);
      const password = auth.password;
      if (typeof password !== 'string' || !userId || userId !== req.userId) {
        return { error: { errcode: 'M_FORBIDDEN', error: 'Invalid username or password' } };
      }
      const retry = ctx.rateLimiter.take(
        `uia-failed:${userId}`,
        ctx.config.rateLimits.loginFailedAttempts,
        {
          dryRun: true,
        },
      );
      if (retry)
        throw new MatrixError('M_LIMIT_EXCEEDED', 'Too many failed attempts', 429, {
          retry_after_ms: retry,
        });
      const user = await store.getUser(ctx.db, userId);
      if (!(await checkPassword(ctx, password, user?.password_hash ?? null))) {
        ctx.rateLimiter.take(`uia-failed:${userId}`, ctx.config.rateLimits.loginFailedAttempts);
        return { error: { errcode: 'M_FORBIDDEN', error: 'Invalid username or password' } };
      }
      return { value: userId };
    }
    case STAGE.registrationToken: {
      const token = auth.token;
      if (typeof token !== 'string' || !(await isRegistrationTokenUsable(ctx, token))) {
        return { error: { errcode: 'M_FORBIDDEN', error: 'Invalid registration token' } };
      }
      return { value: token };
    }
    default:
      return {
        error: { errcode: 'M_UNRECOGNIZED', error: `Unknown authentication stage ${stage}` },
      };
  }
}

/** True when the token exists, has not expired and has uses left (counting pending ones). */
export async function isRegistrationTokenUsable(ctx: Ctx, token: string): Promise<boolean> {
  const row = await uiaStore.getRegistrationToken(ctx.db, token);
  if (!row) return false;
  if (row.expiry_time !== null && row.expiry_time <= ctx.clock.now()) return false;
  return row.uses_allowed === null || row.pending + row.completed < row.uses_allowed;
}

async function purgeExpiredSessions(ctx: Ctx, tx: Tx): Promise<void> {
  for (const s of await uiaStore.listExpiredUiaSessions(
    tx,
    ctx.clock.now() - SESSION_LIFETIME_MS,
  )) {
    const token = (JSON.parse(s.completed_json) as Record<string, unknown>)[
      STAGE.registrationToken
    ];
    if (typeof token === 'string') await uiaStore.adjustRegistrationTokenUses(tx, token, -1, 0);
    await uiaStore.deleteUiaSession(tx, s.session_id);
  }
}

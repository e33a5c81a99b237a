/**
 * User-interactive auth for /register (client-server spec "User-interactive authentication
 * API"): the server offers flows (lists of stages); the app can do the dummy stage and the
 * registration-token stage (m.login.registration_token, spec v1.2).
 */
export const TOKEN_STAGE = 'm.login.registration_token';
export const DUMMY_STAGE = 'm.login.dummy';
const SUPPORTED = new Set([TOKEN_STAGE, DUMMY_STAGE]);

export interface UiaFlow {
  stages: string[];
}

/**
 * The flow to follow: among the flows made only of stages this app can do, the shortest
 * (a token-free flow wins over one that needs a token). Null when none can be done.
 */
export function chooseFlow(flows: readonly UiaFlow[]): UiaFlow | null {
  const doable = flows.filter((f) => f.stages.every((s) => SUPPORTED.has(s)));
  doable.sort((a, b) => a.stages.length - b.stages.length);
  return doable[0] ?? null;
}

/** The first stage of `flow` not yet in `completed`, or null when all are done. */
export function nextStage(flow: UiaFlow, completed: readonly string[]): string | null {
  return flow.stages.find((s) => !completed.includes(s)) ?? null;
}

/** The words a person sees for a registration or sign-in error code. */
export function authErrorText(errcode: string, fallback: string): string {
  switch (errcode) {
    case 'M_FORBIDDEN':
      return 'Wrong username or password.';
    case 'M_USER_IN_USE':
      return 'That username is taken. Try another one.';
    case 'M_INVALID_USERNAME':
      return 'Usernames may use only lower-case letters, digits and . _ = - /';
    case 'M_EXCLUSIVE':
      return 'That username is reserved on this server.';
    case 'M_WEAK_PASSWORD':
      return 'That password is too weak. Use a longer one.';
    case 'M_USER_DEACTIVATED':
      return 'This account has been deactivated.';
    case 'M_LIMIT_EXCEEDED':
      return 'Too many attempts. Wait a moment and try again.';
    case 'M_REGISTRATION_DISABLED':
      return 'This server does not allow new accounts.';
    default:
      return fallback;
  }
}

import type { Session } from '../session';

/**
 * Sign-in (and, where the server allows it, registration, with a token when required).
 * Shared by the chat client and the admin views. Stub: the chat-shell engineer fills it in.
 */
export function LoginForm(props: { onSignedIn: (session: Session) => void; title?: string }) {
  void props.onSignedIn;
  return <p>{props.title ?? 'Sign in'}</p>;
}

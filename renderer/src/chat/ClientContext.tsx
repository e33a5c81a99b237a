import { createContext, useContext } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';
import type { Session } from '../shared/session';

/**
 * The running matrix-js-sdk client and its session, for every chat component.
 * Owner: the chat-shell engineer (ChatApp provides it once the client has started).
 */
export interface ChatClient {
  client: MatrixClient;
  session: Session;
  /** Signs out (the server forgets the device), clears the stored session and key store. */
  signOut(): Promise<void>;
}

export const ClientContext = createContext<ChatClient | null>(null);

export function useChatClient(): ChatClient {
  const c = useContext(ClientContext);
  if (!c) throw new Error('useChatClient outside ChatApp');
  return c;
}

import { createContext, useContext } from 'react';
import type { Call } from './client';

/** What every admin screen needs: the bound API caller and who is signed in. */
export interface AdminEnv {
  call: Call;
  /** The signed-in admin's user ID. */
  me: string;
  /** This server's name (the part after ':' in its user IDs). */
  serverName: string;
}

export const AdminContext = createContext<AdminEnv | null>(null);

export function useAdmin(): AdminEnv {
  const env = useContext(AdminContext);
  if (!env) throw new Error('useAdmin outside AdminContext');
  return env;
}

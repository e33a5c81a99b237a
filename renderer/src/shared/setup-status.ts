import { api } from './api';

/** GET /_hearth/v1/setup: whether the first-run wizard must run (no admin account yet). */
export interface SetupStatus {
  needs_setup: boolean;
}

export function getSetupStatus(): Promise<SetupStatus> {
  return api<SetupStatus>('/_hearth/v1/setup');
}

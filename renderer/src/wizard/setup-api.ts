import { api, MatrixApiError } from '../shared/api';

/** The wizard's view of the server's setup endpoints (server/setup/routes.ts). */

export type RegistrationMode = 'closed' | 'token' | 'open';

export interface SetupStatus {
  needs_setup: boolean;
  server_name: string;
  may_setup: boolean;
  reason?: string;
  token_required: boolean;
  mode: 'headless' | 'desktop';
  server_name_changeable: boolean;
  registration: RegistrationMode;
  client_port: number | null;
  public_baseurl: string;
}

export interface FieldCheck {
  valid: boolean;
  errcode?: string;
  error?: string;
}

export type Field = 'server_name' | 'username' | 'password';

/** 'automatic': Hearth gets a certificate and opens the router's ports itself. */
export type NetworkMode = 'automatic' | 'manual';

export interface ApplyRequest {
  server_name: string;
  admin: { username: string; password: string; displayname?: string };
  registration: RegistrationMode;
  network?: NetworkMode;
}

export interface ApplyResponse {
  user_id: string;
  access_token: string;
  device_id: string;
  server_name: string;
  registration: RegistrationMode;
}

/** GET /_hearth/admin/v1/reachability, when the server has it (the desktop work builds it). */
export interface Reachability {
  summary?: string;
  items: { id: string; label: string; ok: boolean; detail?: string; fix?: string }[];
  checked_ts?: number;
}

/** The header the setup token travels in (never in the URL sent to the server). */
const TOKEN_HEADER = 'X-Hearth-Setup-Token';

function tokenHeaders(token: string | null): Record<string, string> {
  return token ? { [TOKEN_HEADER]: token } : {};
}

export function fetchSetupStatus(token: string | null): Promise<SetupStatus> {
  return api<SetupStatus>('/_hearth/v1/setup/status', { headers: tokenHeaders(token) });
}

export function validateFields(
  token: string | null,
  fields: Partial<Record<Field, string>>,
  signal?: AbortSignal,
): Promise<Partial<Record<Field, FieldCheck>>> {
  return api('/_hearth/v1/setup/validate', {
    method: 'POST',
    body: fields,
    headers: tokenHeaders(token),
    ...(signal ? { signal } : {}),
  });
}

export function applySetup(token: string | null, req: ApplyRequest): Promise<ApplyResponse> {
  return api<ApplyResponse>('/_hearth/v1/setup/apply', {
    method: 'POST',
    body: req,
    headers: tokenHeaders(token),
  });
}

/** The reachability check, or null when the server has none (or it failed): the step skips it. */
export async function fetchReachability(accessToken: string): Promise<Reachability | null> {
  try {
    const r = await api<Reachability>('/_hearth/admin/v1/reachability', { accessToken });
    return Array.isArray(r.items) ? r : null;
  } catch (e) {
    if (e instanceof MatrixApiError || e instanceof TypeError) return null;
    throw e;
  }
}

/** Words for a person for anything that went wrong talking to the server. */
export function problemText(e: unknown): string {
  if (e instanceof MatrixApiError) return e.message;
  if (e instanceof TypeError) return 'Could not reach the server. Is it still running?';
  return e instanceof Error ? e.message : String(e);
}

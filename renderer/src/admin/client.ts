/**
 * The admin API as the admin views use it: Synapse's paths and shapes under
 * /_synapse/admin (docs/admin-api.md), plus Hearth's own /_hearth/admin/v1 status pages.
 * Every call carries the signed-in admin's access token.
 */
import { api, type ApiOptions } from '../shared/api';
import type { TokenRequest } from './validate';

const SYN = '/_synapse/admin';
const enc = encodeURIComponent;

export type Call = <T>(path: string, opts?: ApiOptions) => Promise<T>;

/** A caller bound to an access token. */
export function bindCall(accessToken: string): Call {
  return <T>(path: string, opts: ApiOptions = {}) => api<T>(path, { ...opts, accessToken });
}

export interface UserSummary {
  name: string;
  displayname: string | null;
  admin: boolean | number;
  deactivated: boolean | number;
  creation_ts: number;
  user_type: string | null;
  is_guest: boolean | number;
  avatar_url: string | null;
}
export interface UserList {
  users: UserSummary[];
  next_token?: string;
  total: number;
}
export interface UserDetails extends UserSummary {
  threepids?: { medium: string; address: string }[];
  last_seen_ts?: number | null;
}

export const users = {
  list: (call: Call, q: { from: number; limit: number; name?: string; deactivated: boolean }) =>
    call<UserList>(`${SYN}/v2/users`, {
      query: {
        from: q.from,
        limit: q.limit,
        name: q.name || undefined,
        guests: false,
        deactivated: q.deactivated,
        order_by: 'name',
        dir: 'f',
      },
    }),
  get: (call: Call, userId: string) => call<UserDetails>(`${SYN}/v2/users/${enc(userId)}`),
  /** PUT creates the user if it does not exist (and changes it if it does: check first). */
  create: (
    call: Call,
    userId: string,
    body: { password: string; displayname?: string; admin: boolean },
  ) => call<UserDetails>(`${SYN}/v2/users/${enc(userId)}`, { method: 'PUT', body }),
  resetPassword: (call: Call, userId: string, newPassword: string, logoutDevices: boolean) =>
    call<object>(`${SYN}/v1/reset_password/${enc(userId)}`, {
      method: 'POST',
      body: { new_password: newPassword, logout_devices: logoutDevices },
    }),
  setAdmin: (call: Call, userId: string, admin: boolean) =>
    call<object>(`${SYN}/v1/users/${enc(userId)}/admin`, { method: 'PUT', body: { admin } }),
  isAdmin: (call: Call, userId: string) =>
    call<{ admin: boolean }>(`${SYN}/v1/users/${enc(userId)}/admin`),
  deactivate: (call: Call, userId: string, erase: boolean) =>
    call<object>(`${SYN}/v1/deactivate/${enc(userId)}`, { method: 'POST', body: { erase } }),
};

export interface RegistrationToken {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
}

export const tokens = {
  list: (call: Call) =>
    call<{ registration_tokens: RegistrationToken[] }>(`${SYN}/v1/registration_tokens`),
  create: (call: Call, body: TokenRequest) =>
    call<RegistrationToken>(`${SYN}/v1/registration_tokens/new`, { method: 'POST', body }),
  remove: (call: Call, token: string) =>
    call<object>(`${SYN}/v1/registration_tokens/${enc(token)}`, { method: 'DELETE' }),
};

export interface RoomSummary {
  room_id: string;
  name: string | null;
  canonical_alias: string | null;
  joined_members: number;
  joined_local_members: number;
  state_events: number;
  version: string;
  creator: string;
  encryption: string | null;
  public: boolean;
  join_rules: string | null;
  topic?: string | null;
  federatable?: boolean;
  history_visibility?: string | null;
  guest_access?: string | null;
  room_type?: string | null;
  avatar?: string | null;
}
export interface RoomList {
  rooms: RoomSummary[];
  offset: number;
  total_rooms: number;
  next_batch?: number | string;
  prev_batch?: number | string;
}
export interface StateEvent {
  type: string;
  state_key: string;
  sender: string;
  event_id?: string;
  origin_server_ts?: number;
  content: Record<string, unknown>;
}
export type DeleteStatus =
  'scheduled' | 'active' | 'purging' | 'shutting_down' | 'complete' | 'failed';

export const rooms = {
  list: (
    call: Call,
    q: { from: number; limit: number; search?: string; orderBy: string; dir: 'f' | 'b' },
  ) =>
    call<RoomList>(`${SYN}/v1/rooms`, {
      query: {
        from: q.from,
        limit: q.limit,
        search_term: q.search || undefined,
        order_by: q.orderBy,
        dir: q.dir,
      },
    }),
  get: (call: Call, roomId: string) => call<RoomSummary>(`${SYN}/v1/rooms/${enc(roomId)}`),
  members: (call: Call, roomId: string) =>
    call<{ members: string[]; total: number }>(`${SYN}/v1/rooms/${enc(roomId)}/members`),
  state: (call: Call, roomId: string) =>
    call<{ state: StateEvent[] }>(`${SYN}/v1/rooms/${enc(roomId)}/state`),
  blockStatus: (call: Call, roomId: string) =>
    call<{ block: boolean; user_id?: string }>(`${SYN}/v1/rooms/${enc(roomId)}/block`),
  setBlock: (call: Call, roomId: string, block: boolean) =>
    call<{ block: boolean }>(`${SYN}/v1/rooms/${enc(roomId)}/block`, {
      method: 'PUT',
      body: { block },
    }),
  remove: (
    call: Call,
    roomId: string,
    body: { block: boolean; purge: boolean; message?: string },
  ) => call<{ delete_id: string }>(`${SYN}/v2/rooms/${enc(roomId)}`, { method: 'DELETE', body }),
  deleteStatus: (call: Call, deleteId: string) =>
    call<{ status: DeleteStatus; error?: string; shutdown_room?: Record<string, unknown> }>(
      `${SYN}/v2/rooms/delete_status/${enc(deleteId)}`,
    ),
};

export interface UserMediaStats {
  user_id: string;
  displayname: string | null;
  media_count: number;
  media_length: number;
}
export interface MediaItem {
  media_id: string;
  media_type: string | null;
  media_length: number;
  upload_name: string | null;
  created_ts: number;
  last_access_ts?: number | null;
  quarantined_by: string | null;
  safe_from_quarantine?: boolean;
}

export const media = {
  statistics: (call: Call, q: { from: number; limit: number; search?: string }) =>
    call<{ users: UserMediaStats[]; next_token?: number | string; total: number }>(
      `${SYN}/v1/statistics/users/media`,
      {
        query: {
          from: q.from,
          limit: q.limit,
          search_term: q.search || undefined,
          order_by: 'media_length',
          dir: 'b',
        },
      },
    ),
  ofUser: (call: Call, userId: string, q: { from: number; limit: number }) =>
    call<{ media: MediaItem[]; next_token?: number | string; total: number }>(
      `${SYN}/v1/users/${enc(userId)}/media`,
      { query: { from: q.from, limit: q.limit, order_by: 'created_ts', dir: 'b' } },
    ),
  quarantine: (call: Call, server: string, mediaId: string, on: boolean) =>
    call<object>(
      `${SYN}/v1/media/${on ? 'quarantine' : 'unquarantine'}/${enc(server)}/${enc(mediaId)}`,
      { method: 'POST', body: {} },
    ),
  purgeRemoteCache: (call: Call, beforeTs: number) =>
    call<{ deleted: number }>(`${SYN}/v1/purge_media_cache`, {
      method: 'POST',
      query: { before_ts: beforeTs },
      body: {},
    }),
};

export interface Destination {
  destination: string;
  retry_last_ts: number;
  retry_interval: number;
  failure_ts: number | null;
  last_successful_stream_ordering: number | null;
}

export const federation = {
  destinations: (call: Call, q: { from: number; limit: number; search?: string }) =>
    call<{ destinations: Destination[]; total: number; next_token?: string | number }>(
      `${SYN}/v1/federation/destinations`,
      { query: { from: q.from, limit: q.limit, destination: q.search || undefined } },
    ),
  retryNow: (call: Call, destination: string) =>
    call<object>(`${SYN}/v1/federation/destinations/${enc(destination)}/reset_connection`, {
      method: 'POST',
      body: {},
    }),
};

export interface ServerStatus {
  server_version: string;
  uptime_ms: number;
  rss_bytes: number;
  heap_used_bytes: number;
  database_bytes: number;
  media_bytes: number;
  users: number;
  rooms: number;
  events: number;
  started_ts: number;
}
export interface LogLine {
  time: number | string;
  level: number | string;
  msg: string;
  [key: string]: unknown;
}
export interface Reachability {
  summary: string;
  /** ok: true green, false red (with a fix), null not applicable or not checked. */
  items: { id: string; label: string; ok: boolean | null; detail: string; fix?: string }[];
  checked_ts: number;
}

export const server = {
  status: (call: Call) => call<ServerStatus>('/_hearth/admin/v1/status'),
  logs: (call: Call, limit: number) =>
    call<{ lines: LogLine[] }>('/_hearth/admin/v1/logs', { query: { limit } }),
  reachability: (call: Call) => call<Reachability>('/_hearth/admin/v1/reachability'),
};

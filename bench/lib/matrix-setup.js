// Setting up the room benchmarks through Hearth's client-server API, as a client would:
// users (shared-secret registration, which answers an access token), rooms, joins and
// messages. Only set-up goes through here; what is measured goes through the load generators.
import { registerUser } from './servers.js';
import { requestJson } from './util.js';

const PASSWORD = 'bench password';

/** Runs fn(item, index) over items with at most `concurrency` calls in flight; keeps order. */
export async function inPool(items, concurrency, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/**
 * Registers `count` users named `${prefix}${i}` and returns [{ userId, token }]. bcrypt runs
 * on libuv's thread pool (4 threads), so a few registrations in flight keep it busy.
 */
export async function registerUsers(instance, prefix, count, concurrency = 4) {
  const names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  return inPool(names, concurrency, async (name) => {
    const r = await registerUser(instance, name, PASSWORD);
    return { userId: r.user_id, token: r.access_token };
  });
}

/** A client-server API call with the user's token; the parsed answer (throws on non-2xx). */
export function api(port, token, method, path, body) {
  return requestJson(port, `/_matrix/client/v3${path}`, {
    method,
    body,
    headers: { authorization: `Bearer ${token}` },
    timeoutMs: 60_000,
  });
}

/**
 * POST /createRoom: a public room (anyone may join, full history visible to members). The
 * name also goes in the create event's content: in room versions whose room id is the hash
 * of the create event (v12), two rooms created by one user in the same millisecond would
 * otherwise get the same id.
 */
export async function createPublicRoom(port, user, name) {
  const r = await api(port, user.token, 'POST', '/createRoom', {
    preset: 'public_chat',
    name,
    creation_content: { 'org.hearth.bench.name': name },
  });
  return r.room_id;
}

export function joinRoom(port, user, roomId) {
  return api(port, user.token, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
}

let txnCounter = 0;

/** PUT /rooms/{roomId}/send/m.room.message/{txnId}; resolves with the event id. */
export async function sendText(port, user, roomId, text) {
  const path = `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/setup.${++txnCounter}`;
  const r = await api(port, user.token, 'PUT', path, { msgtype: 'm.text', body: text });
  return r.event_id;
}

/** The path prefix of a send in `roomId`, to which a load generator appends transaction ids. */
export function sendPathPrefix(roomId) {
  return `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/`;
}

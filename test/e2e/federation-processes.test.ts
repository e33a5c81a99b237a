import { afterAll, beforeAll, expect, test } from 'vitest';
import { startFederatingProcesses, type HearthNode } from '../helpers/federating-processes.js';

/**
 * Three real Hearth processes federating over TLS with a test CA (server names
 * localhost:PORT, as `hearth demo` runs them), driven as their users' clients drive them:
 * a user on B joins #hall:A by alias and one on C by room id, messages flow every way,
 * typing and receipts cross over, A's user invites B's user who accepts, leave and rejoin,
 * kick and ban across servers. Each step waits (bounded) for the other servers to see it.
 */

let stop: () => Promise<void>;
let A: HearthNode;
let B: HearthNode;
let C: HearthNode;
type Session = { userId: string; token: string };
let alice: Session;
let bob: Session;
let carol: Session;
let hall: string;
const since = new Map<string, string>();

beforeAll(async () => {
  // Users here send and join faster than people do: those rate limits stay out of the way.
  const lifted = { per_second: 100, burst_count: 100 };
  const started = await startFederatingProcesses(3, {
    rc_message: lifted,
    rc_joins: { local: lifted, remote: lifted },
  });
  stop = started.stop;
  [A, B, C] = started.nodes as [HearthNode, HearthNode, HearthNode];
  alice = await A.register('alice');
  bob = await B.register('bob');
  carol = await C.register('carol');
}, 60_000);

afterAll(async () => {
  await stop?.();
});

async function until<T>(what: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('not seen in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function bodiesIn(n: HearthNode, who: Session, roomId: string): Promise<string[]> {
  const res = await n.call('GET', `/_matrix/client/v3/rooms/${roomId}/messages?dir=b&limit=100`, {
    token: who.token,
  });
  if (res.status !== 200) return [];
  return (res.body.chunk as { type: string; content: { body?: string } }[])
    .filter((e) => e.type === 'm.room.message')
    .map((e) => e.content.body!);
}

async function members(n: HearthNode, who: Session, roomId: string): Promise<string[]> {
  const res = await n.call('GET', `/_matrix/client/v3/rooms/${roomId}/joined_members`, {
    token: who.token,
  });
  return res.status === 200 ? Object.keys(res.body.joined).sort() : [];
}

/** The next /sync answers of `who` (from where the last one left off), until `pick` finds. */
async function inSync<T>(
  n: HearthNode,
  who: Session,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- sync answers are read loosely
  pick: (sync: any) => T | undefined,
): Promise<T> {
  return until(async () => {
    const from = since.get(who.userId);
    const res = await n.call(
      'GET',
      `/_matrix/client/v3/sync?timeout=1000${from ? `&since=${from}` : ''}`,
      { token: who.token },
    );
    if (res.status !== 200) return undefined;
    since.set(who.userId, res.body.next_batch);
    return pick(res.body);
  });
}

async function send(n: HearthNode, who: Session, roomId: string, body: string) {
  const res = await n.call(
    'PUT',
    `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/${encodeURIComponent(body)}`,
    { token: who.token, body: { msgtype: 'm.text', body } },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.event_id as string;
}

test('B joins #hall:A by alias and C by room id; messages flow every way', async () => {
  const created = await A.call('POST', '/_matrix/client/v3/createRoom', {
    token: alice.token,
    body: { preset: 'public_chat', room_alias_name: 'hall', name: 'The hall' },
  });
  expect(created.status).toBe(200);
  hall = created.body.room_id;
  const alias = encodeURIComponent(`#hall:${A.serverName}`);
  const byAlias = await B.call('POST', `/_matrix/client/v3/join/${alias}`, {
    token: bob.token,
    body: {},
  });
  expect(byAlias.status, JSON.stringify(byAlias.body)).toBe(200);
  expect(byAlias.body.room_id).toBe(hall);
  const byId = await C.call(
    'POST',
    `/_matrix/client/v3/join/${encodeURIComponent(hall)}?server_name=${encodeURIComponent(A.serverName)}`,
    { token: carol.token, body: {} },
  );
  expect(byId.status, JSON.stringify(byId.body)).toBe(200);
  const everyone = [alice.userId, bob.userId, carol.userId].sort();
  for (const [n, who] of [
    [A, alice],
    [B, bob],
    [C, carol],
  ] as const) {
    await until(async () => (await members(n, who, hall)).join() === everyone.join());
  }
  await send(A, alice, hall, 'hello from A');
  await send(B, bob, hall, 'hello from B');
  await send(C, carol, hall, 'hello from C');
  for (const [n, who] of [
    [A, alice],
    [B, bob],
    [C, carol],
  ] as const) {
    await until(async () => {
      const seen = await bodiesIn(n, who, hall);
      return ['hello from A', 'hello from B', 'hello from C'].every((b) => seen.includes(b));
    });
  }
}, 90_000);

test('typing on B and a read receipt on A cross over', async () => {
  // Start each user's /sync stream after the join.
  await inSync(B, bob, () => true);
  await inSync(A, alice, () => true);
  const typing = await B.call(
    'PUT',
    `/_matrix/client/v3/rooms/${encodeURIComponent(hall)}/typing/${encodeURIComponent(bob.userId)}`,
    { token: bob.token, body: { typing: true, timeout: 30_000 } },
  );
  expect(typing.status).toBe(200);
  await inSync(A, alice, (sync) =>
    sync.rooms?.join?.[hall]?.ephemeral?.events?.find(
      (e: { type: string; content: { user_ids: string[] } }) =>
        e.type === 'm.typing' && e.content.user_ids.includes(bob.userId),
    ),
  );
  const eventId = await send(A, alice, hall, 'please read');
  const receipt = await A.call(
    'POST',
    `/_matrix/client/v3/rooms/${encodeURIComponent(hall)}/receipt/m.read/${encodeURIComponent(eventId)}`,
    { token: alice.token, body: {} },
  );
  expect(receipt.status).toBe(200);
  await inSync(B, bob, (sync) =>
    sync.rooms?.join?.[hall]?.ephemeral?.events?.find(
      (e: { type: string; content: Record<string, Record<string, Record<string, unknown>>> }) =>
        e.type === 'm.receipt' && e.content[eventId]?.['m.read']?.[alice.userId],
    ),
  );
}, 90_000);

test("A's user invites B's user into a private room, who accepts", async () => {
  const created = await A.call('POST', '/_matrix/client/v3/createRoom', {
    token: alice.token,
    body: { preset: 'private_chat', name: 'Just us' },
  });
  const room = created.body.room_id as string;
  const invite = await A.call(
    'POST',
    `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/invite`,
    {
      token: alice.token,
      body: { user_id: bob.userId },
    },
  );
  expect(invite.status, JSON.stringify(invite.body)).toBe(200);
  const invited = await inSync(B, bob, (sync) => sync.rooms?.invite?.[room]);
  const names = (invited.invite_state.events as { type: string; content: { name?: string } }[])
    .filter((e) => e.type === 'm.room.name')
    .map((e) => e.content.name);
  expect(names).toEqual(['Just us']);
  const accept = await B.call('POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}`, {
    token: bob.token,
    body: {},
  });
  expect(accept.status, JSON.stringify(accept.body)).toBe(200);
  await until(async () => (await members(A, alice, room)).includes(bob.userId));
  await send(B, bob, room, 'thanks for the invite');
  await until(async () => (await bodiesIn(A, alice, room)).includes('thanks for the invite'));
}, 90_000);

test("history older than the join: B's user pages back over A's earlier messages", async () => {
  const created = await A.call('POST', '/_matrix/client/v3/createRoom', {
    token: alice.token,
    body: { preset: 'public_chat', name: 'Archive' },
  });
  const archive = created.body.room_id as string;
  const earlier: string[] = [];
  for (let i = 0; i < 15; i++) {
    earlier.push(`before you came ${i}`);
    await send(A, alice, archive, `before you came ${i}`);
  }
  const join = await B.call(
    'POST',
    `/_matrix/client/v3/join/${encodeURIComponent(archive)}?server_name=${encodeURIComponent(A.serverName)}`,
    { token: bob.token, body: {} },
  );
  expect(join.status, JSON.stringify(join.body)).toBe(200);
  // Paging back from the join fetches the room's history from A (/backfill).
  const seen: string[] = [];
  let from: string | undefined;
  for (let page = 0; page < 10 && seen.length < earlier.length; page++) {
    const res = await B.call(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(archive)}/messages?dir=b&limit=10${from ? `&from=${from}` : ''}`,
      { token: bob.token },
    );
    expect(res.status).toBe(200);
    for (const e of res.body.chunk as { type: string; content: { body?: string } }[]) {
      if (e.type === 'm.room.message') seen.push(e.content.body!);
    }
    if (!res.body.end) break;
    from = res.body.end;
  }
  expect(seen.reverse()).toEqual(earlier);
}, 90_000);

test('B leaves the hall and rejoins; A kicks C and bans B across servers', async () => {
  const leave = await B.call('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(hall)}/leave`, {
    token: bob.token,
    body: {},
  });
  expect(leave.status).toBe(200);
  await until(async () => !(await members(A, alice, hall)).includes(bob.userId));
  const rejoin = await B.call(
    'POST',
    `/_matrix/client/v3/join/${encodeURIComponent(hall)}?server_name=${encodeURIComponent(A.serverName)}`,
    { token: bob.token, body: {} },
  );
  expect(rejoin.status, JSON.stringify(rejoin.body)).toBe(200);
  await until(async () => (await members(A, alice, hall)).includes(bob.userId));

  // Carol's /sync stream starts before the kick (an initial sync leaves out left rooms).
  await inSync(C, carol, () => true);
  const kick = await A.call('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(hall)}/kick`, {
    token: alice.token,
    body: { user_id: carol.userId, reason: 'testing kicks' },
  });
  expect(kick.status).toBe(200);
  // Carol's own server hears of it: the room moves to her leave section.
  await inSync(C, carol, (sync) => sync.rooms?.leave?.[hall]);

  const ban = await A.call('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(hall)}/ban`, {
    token: alice.token,
    body: { user_id: bob.userId },
  });
  expect(ban.status).toBe(200);
  // B hears of the ban: Bob's own server shows the room in his leave section.
  await inSync(B, bob, (sync) => sync.rooms?.leave?.[hall]);
  const again = await B.call(
    'POST',
    `/_matrix/client/v3/join/${encodeURIComponent(hall)}?server_name=${encodeURIComponent(A.serverName)}`,
    { token: bob.token, body: {} },
  );
  expect(again.status).toBe(403);
  expect(await members(A, alice, hall)).toEqual([alice.userId]);
}, 90_000);

import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestServer } from './server.js';
import { sendLocalEvent } from '../../server/events/persist.js';
import { queueEventForFederation } from '../../server/federation/sender/destinations.js';
import {
  FederationTransportError,
  type FederationClient,
  type FederationResponse,
} from '../../server/federation/types.js';

/**
 * A stand-in for another homeserver's federation listener: a plain node:http server on
 * loopback that records every PUT /_matrix/federation/v1/send/{txnId} and answers as the
 * test says (200, any status, hang), or stops listening (connections refused) and comes
 * back on the same port. Reached through `recorderClient`, a FederationClient speaking
 * plain HTTP to 127.0.0.1 by a map of server name -> port.
 */

export interface RecordedTxn {
  txnId: string;
  /** The parsed JSON body. */
  body: {
    origin: string;
    origin_server_ts: number;
    pdus: Record<string, unknown>[];
    edus?: { edu_type: string; content: Record<string, unknown> }[];
  };
  /** When it arrived (Date.now()). */
  at: number;
}

/** What to answer: a status and JSON body, or no answer at all (the request hangs). */
export type Answer = { status: number; body?: unknown } | 'hang';

export class FederationRecorder {
  /** Every transaction received, retries included, in arrival order. */
  readonly received: RecordedTxn[] = [];
  /** Decides each answer; default 200 with an empty `pdus` result. */
  respond: (txn: RecordedTxn) => Answer = () => ({ status: 200, body: { pdus: {} } });
  private server: Server | null = null;
  private hung: ServerResponse[] = [];

  private constructor(public port: number) {}

  static async start(): Promise<FederationRecorder> {
    const r = new FederationRecorder(0);
    await r.up();
    return r;
  }

  /** Listens (again, on the same port once it has one). */
  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening: connections are refused until up(). Hung requests are cut. */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.hung = [];
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  close(): Promise<void> {
    return this.down();
  }

  /** The `content.body` of every PDU received, in arrival order (retries included). */
  pduBodies(): string[] {
    return this.received.flatMap((t) => t.body.pdus.map(pduKey));
  }

  /** The EDUs received, in arrival order (retries included). */
  edus(): { edu_type: string; content: Record<string, unknown> }[] {
    return this.received.flatMap((t) => t.body.edus ?? []);
  }

  /** Resolves once `pred` holds, or throws after `ms`. */
  async waitFor(pred: (r: this) => boolean, ms = 10_000): Promise<void> {
    const until = Date.now() + ms;
    while (!pred(this)) {
      if (Date.now() > until) throw new Error(`recorder: condition not met in ${ms} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const m = /^\/_matrix\/federation\/v1\/send\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method !== 'PUT' || !m) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' }));
      return;
    }
    const txn: RecordedTxn = {
      txnId: decodeURIComponent(m[1]!),
      body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedTxn['body'],
      at: Date.now(),
    };
    this.received.push(txn);
    const answer = this.respond(txn);
    if (answer === 'hang') {
      this.hung.push(res);
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body ?? {}));
  }
}

/** A PDU's id as the tests name events: its content's `body` when it has one. */
function pduKey(pdu: Record<string, unknown>): string {
  const body = (pdu.content as { body?: unknown } | undefined)?.body;
  return typeof body === 'string' ? body : JSON.stringify(pdu.content);
}

/**
 * A FederationClient over plain HTTP to 127.0.0.1, by server name -> port (read at each
 * request, so a test can change it). Unknown names fail as DNS failures, refused
 * connections as `connect`, a request that outlives its timeout as `timeout`.
 */
export function recorderClient(ports: Map<string, number>): FederationClient {
  return {
    request(destination, req): Promise<FederationResponse> {
      const port = ports.get(destination);
      if (port === undefined) {
        return Promise.reject(
          new FederationTransportError(`unknown server ${destination}`, destination, 'dns'),
        );
      }
      const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
      return new Promise((resolve, reject) => {
        const r = request(
          {
            host: '127.0.0.1',
            port,
            method: req.method,
            path: req.path,
            headers: payload
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {},
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', (err) =>
              reject(new FederationTransportError(err.message, destination, 'bad_response')),
            );
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let body: unknown;
              try {
                body = text ? JSON.parse(text) : undefined;
              } catch {
                return reject(
                  new FederationTransportError('not JSON', destination, 'bad_response'),
                );
              }
              resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
            });
          },
        );
        r.setTimeout(req.timeoutMs ?? 10_000, () => {
          r.destroy(new FederationTransportError('timed out', destination, 'timeout'));
        });
        r.on('error', (err) =>
          reject(
            err instanceof FederationTransportError
              ? err
              : new FederationTransportError(err.message, destination, 'connect'),
          ),
        );
        r.end(payload);
      });
    },
  };
}

/**
 * Makes `s` queue its events for federation (the event hook the composition root will list)
 * and creates a public room of a new local user that users of other servers have joined.
 * Their joins are written through the local persist path (test-only: there is no join over
 * federation here), so the room's current state holds them as a remote join would.
 */
export async function roomSharedWith(
  s: TestServer,
  remoteUsers: string[],
  localpart = 'alice',
): Promise<{ roomId: string; token: string; userId: string }> {
  if (!s.ctx.eventHooks.includes(queueEventForFederation)) {
    s.ctx.eventHooks = [...s.ctx.eventHooks, queueEventForFederation];
  }
  const alice = await s.register(localpart);
  const r = await s.req('POST', '/_matrix/client/v3/createRoom', {
    token: alice.token,
    body: { preset: 'public_chat' },
  });
  if (r.statusCode !== 200) throw new Error(`createRoom failed: ${r.body}`);
  const roomId = r.json().room_id as string;
  for (const user of remoteUsers) {
    await sendLocalEvent(s.ctx, {
      roomId,
      type: 'm.room.member',
      stateKey: user,
      sender: user,
      content: { membership: 'join' },
    });
  }
  return { roomId, token: alice.token, userId: alice.userId };
}

/** Sends text messages `prefix0`, `prefix1`, ... through the client API, one after another. */
export async function sendMessages(
  s: TestServer,
  room: { roomId: string; token: string },
  count: number,
  prefix = 'm',
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const r = await s.req(
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/send/m.room.message/${prefix}${i}`,
      { token: room.token, body: { msgtype: 'm.text', body: `${prefix}${i}` } },
    );
    if (r.statusCode !== 200) throw new Error(`send failed: ${r.body}`);
  }
}

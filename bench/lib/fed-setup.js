// Shared set-up of the federation benchmarks (issue 4): Hearths that federate on loopback as
// `hearth demo` makes them (server names localhost:PORT, a local CA, a TLS federation
// listener with a certificate of it: server/cli/commands/demo.ts localFederationConfig),
// and a small federating server inside the bench process ("the signer"): its own signing
// key served over TLS at /_matrix/key/v2/server, and requests signed with X-Matrix, so a
// Hearth checks its events and requests exactly as it checks any other server's.
//
// Each Hearth has a second, plain-HTTP listener (client and federation) on loopback: the
// bench talks to it there, the same way it talks to the bare baselines (node:http), so both
// sides of a comparison pay the same transport. Hearths reach each other and the signer
// only through the real transport (discovery of localhost:PORT, TLS with the CA).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { importServerCode } from './server-code.js';
import { LIFTED_ROOM_LIMITS } from './servers.js';
import { HOST, freePort, performance, requestJson } from './util.js';

const LIMITLESS = { per_second: 100000, burst_count: 100000 };

/** What the federation benchmarks need of server/, bundled from the TypeScript sources. */
export function loadFedCode() {
  return importServerCode(
    'fed',
    [
      "export { localFederationConfig } from './server/cli/commands/demo.js';",
      "export { createLocalCa, writePemPair } from './server/net/local-ca.js';",
      "export { generateConfig } from './server/core/config/generate.js';",
      "export { systemRandom } from './server/core/clock.js';",
      "export { signJson, signingKeyFromSeed } from './server/core/signing.js';",
      "export { buildEvent } from './server/events/build.js';",
      "export { roomVersion } from './server/events/room-versions.js';",
      "export { createRequestSigner } from './server/federation/x-matrix.js';",
    ],
    // The CLI's demo module reaches native modules (bcrypt) that esbuild cannot bundle.
    { externalPackages: true },
  );
}

/** A local CA in `dir`: its certificate file (federation_custom_ca_list) and issued leaves. */
export function createPki(code, dir) {
  const ca = code.createLocalCa({ commonName: 'Hearth bench CA' });
  const { certPath: caPath } = code.writePemPair(dir, 'bench-ca', ca);
  let n = 0;
  return {
    caPath,
    caPem: ca.cert,
    issue(names) {
      const pair = ca.issue(names);
      return { ...pair, ...code.writePemPair(dir, `leaf-${++n}`, pair) };
    },
  };
}

/**
 * A Hearth named localhost:FEDPORT in `dir`, configured as `hearth demo` configures its
 * servers (generateConfig, then localFederationConfig), plus a plain listener on loopback
 * for the bench, log level `logLevel` and the rate limits the set-up would hit lifted.
 * Returns an instance for startHearth (its `port` is the plain listener's).
 */
export async function makeFederatingHearth(
  code,
  pki,
  dir,
  { logLevel = 'warn', config = {} } = {},
) {
  const fedPort = await freePort();
  const port = await freePort();
  const serverName = `localhost:${fedPort}`;
  const configPath = join(dir, 'homeserver.yaml');
  code.generateConfig({ serverName, configPath, port: fedPort, random: code.systemRandom });
  const tls = pki.issue(['localhost', '127.0.0.1']);
  const doc = YAML.parse(readFileSync(configPath, 'utf8'));
  Object.assign(
    doc,
    code.localFederationConfig({
      port: fedPort,
      certPath: tls.certPath,
      keyPath: tls.keyPath,
      caPath: pki.caPath,
    }),
    LIFTED_ROOM_LIMITS,
    {
      log_level: logLevel,
      rc_login: { address: LIMITLESS, account: LIMITLESS, failed_attempts: LIMITLESS },
    },
    config,
  );
  doc.listeners.push({
    port,
    tls: false,
    type: 'http',
    x_forwarded: false,
    bind_addresses: [HOST],
    resources: [{ names: ['client', 'federation'], compress: false }],
  });
  writeFileSync(configPath, YAML.stringify(doc), { mode: 0o600 });
  return {
    dir,
    configPath,
    port,
    fedPort,
    serverName,
    secret: doc.registration_shared_secret,
    pidFile: doc.pid_file ? resolve(dir, doc.pid_file) : undefined,
    dbFile: resolve(dir, doc.database.args.database),
  };
}

/**
 * The signer: a federating server named localhost:PORT inside the bench process. It serves
 * its key (and answers other servers' transactions with an empty 200) over TLS, and sends
 * signed requests to a Hearth's plain listener (`to`: { serverName, port }).
 */
export async function startSigner(code, pki) {
  const port = await freePort();
  const serverName = `localhost:${port}`;
  const key = code.signingKeyFromSeed('bench', randomBytes(32));
  const origin = { serverName, key, now: () => Date.now(), random: code.systemRandom };
  const sign = code.createRequestSigner({ serverName, signingKeys: [key] });
  const tls = pki.issue(['localhost', '127.0.0.1']);
  const answer = (res, status, body) => {
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
    });
    res.end(payload);
  };
  const seen = { keyRequests: 0, transactions: 0 };
  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path.startsWith('/_matrix/key/v2/server')) {
        seen.keyRequests++;
        const keys = {
          server_name: serverName,
          verify_keys: { [key.keyId]: { key: key.publicKeyBase64 } },
          old_verify_keys: {},
          valid_until_ts: Date.now() + 24 * 3600_000,
        };
        answer(res, 200, code.signJson(keys, serverName, key));
      } else if (req.method === 'PUT' && path.startsWith('/_matrix/federation/v1/send/')) {
        seen.transactions++;
        answer(res, 200, { pdus: {} });
      } else if (req.method === 'GET' && path === '/_matrix/federation/v1/version') {
        answer(res, 200, { server: { name: 'hearth-bench-signer', version: '0' } });
      } else {
        answer(res, 404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
      }
    });
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, HOST, ok);
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  /**
   * A signed request to `to`'s plain listener. The body is serialised and signed before the
   * clock starts: `ms` is from sending the request to the end of the answer.
   */
  function request(to, method, path, body) {
    const auth = sign(to.serverName, method, path, body);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((ok, fail) => {
      const t0 = performance.now();
      const req = http.request(
        {
          host: HOST,
          port: to.port,
          method,
          path,
          agent,
          headers: {
            authorization: auth,
            ...(payload
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const ms = performance.now() - t0;
            const text = Buffer.concat(chunks).toString('utf8');
            let json;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            ok({ status: res.statusCode, json, text, ms, bytes: text.length });
          });
          res.on('error', fail);
        },
      );
      req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', fail);
      req.end(payload);
    });
  }

  async function requestOk(to, method, path, body) {
    const r = await request(to, method, path, body);
    if (r.status !== 200)
      throw new Error(`${method} ${path} answered ${r.status}: ${r.text.slice(0, 300)}`);
    return r;
  }

  return {
    serverName,
    port,
    origin,
    seen,
    request,
    requestOk,
    userId: (local) => `@${local}:${serverName}`,
    close: () =>
      new Promise((ok) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** The ids of the room's current state events, by type (state key ''), seen by `user` on `to`. */
async function stateIds(to, token, roomId) {
  const events = await requestJson(
    to.port,
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`,
    {
      headers: { authorization: `Bearer ${token}` },
      timeoutMs: 60_000,
    },
  );
  const byType = {};
  for (const e of events) if (e.state_key === '') byType[e.type] = e.event_id;
  return byType;
}

/**
 * `localpart` of the signer joins `roomId` on Hearth `to` (make_join, then send_join v2),
 * as any server's first user joins. Returns the signer's view of the room, from which it
 * chains its next events (`chain`): the room version, the head and its depth, and the ids
 * of the auth events its users' events cite.
 */
export async function signerJoin(code, signer, to, { roomId, localpart, token }) {
  const userId = signer.userId(localpart);
  const vers = Array.from({ length: 12 }, (_, i) => `ver=${i + 1}`).join('&');
  const made = await signer.requestOk(
    to,
    'GET',
    `/_matrix/federation/v1/make_join/${encodeURIComponent(roomId)}/${encodeURIComponent(userId)}?${vers}`,
  );
  const version = code.roomVersion(made.json.room_version);
  const t = made.json.event;
  const ref = (id) => ({ eventId: id, sha256: '' });
  const join = code.buildEvent(signer.origin, version, {
    type: 'm.room.member',
    stateKey: userId,
    sender: userId,
    content: t.content,
    roomId,
    prevEvents: t.prev_events.map(ref),
    authEvents: t.auth_events.map(ref),
    depth: t.depth,
  });
  await signer.requestOk(
    to,
    'PUT',
    `/_matrix/federation/v2/send_join/${encodeURIComponent(roomId)}/${encodeURIComponent(join.eventId)}`,
    join.pdu,
  );
  const ids = await stateIds(to, token, roomId);
  const base = [
    ...(version.roomIdFromCreateEvent ? [] : [ids['m.room.create']]),
    ids['m.room.power_levels'],
  ];
  return {
    roomId,
    version,
    head: join.eventId,
    depth: t.depth,
    // A message cites the create event, power levels and its sender's membership; a new
    // member's join cites the create event, power levels and join rules.
    messageAuth: (memberEventId) => [...base, memberEventId],
    joinAuth: [...base, ids['m.room.join_rules']],
    members: new Map([[userId, join.eventId]]),
  };
}

/** The signer's next event in `chain`, on the previous one (a single chain, no forks). */
export function nextEvent(code, signer, chain, draft) {
  const ref = (id) => ({ eventId: id, sha256: '' });
  const built = code.buildEvent(signer.origin, chain.version, {
    ...draft,
    roomId: chain.roomId,
    prevEvents: [ref(chain.head)],
    authEvents: draft.authEvents.map(ref),
    depth: chain.depth + 1,
  });
  chain.head = built.eventId;
  chain.depth += 1;
  return built;
}

/** A transaction body of `pdus` from the signer. */
export function transactionBody(signer, pdus) {
  return { origin: signer.serverName, origin_server_ts: Date.now(), pdus };
}

/** Throws unless Hearth's /send answer accepted every one of `ids`. */
export function assertAccepted(answer, ids) {
  const results = answer?.pdus ?? {};
  const bad = ids.filter((id) => !results[id] || Object.keys(results[id]).length > 0);
  if (bad.length) {
    throw new Error(
      `${bad.length} of ${ids.length} PDUs not accepted, e.g. ${bad[0]}: ${JSON.stringify(results[bad[0]])}`,
    );
  }
}

// Benchmark: ed25519 signature verification (issue 4), the check every PDU and every
// request from another server costs. One realistic signed PDU (a message of a v10 room,
// about 700 bytes of canonical JSON), verified over and over by:
//   - Hearth's check as an incoming event meets it (server/core/signing.ts
//     verifyJsonSignature: canonical JSON without signatures and unsigned, base64 decoding,
//     the public key as a KeyObject, node:crypto's verify);
//   - node:crypto's verify alone, on the payload bytes with the KeyObject made once (the
//     implementation Hearth uses: OpenSSL), the baseline;
//   - tweetnacl (pure JavaScript) and @noble/ed25519 (pure JavaScript, audited) on the same
//     bytes, the alternatives the issue names.
// Each is run in slices of `sliceMs`, interleaved (ABBA), `runs` slices each after a warm-up
// slice; the figure is the median rate. Every variant must accept the good signature and
// refuse a tampered one before it is timed.
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import * as noble from '@noble/ed25519';
import nacl from 'tweetnacl';
import { importServerCode } from './server-code.js';
import { median, performance, round } from './util.js';

// @noble/ed25519 v3 verifies synchronously once it is given SHA-512.
noble.hashes.sha512 = (m) => new Uint8Array(createHash('sha512').update(m).digest());

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function loadServerCode() {
  return importServerCode('sigverify', [
    "export { signJson, signingKeyFromSeed, signingPayload, verifyJsonSignature } from './server/core/signing.js';",
    "export { decodeBase64 } from './server/core/base64.js';",
  ]);
}

/** A PDU as a room of version 10 holds it, signed by `serverName`. */
function samplePdu(code, key, serverName) {
  const pdu = {
    auth_events: [
      '$Lz3Wv8Ex1yqb2XKK4ZtPm0r5aE6hFZoQRj6b5mLa7xM',
      '$Qm2Jx9Yw0ZrT7sP4bN1cV8dF6gH3jK5lA2sD4fG7hJk',
      '$Ze8Rk3Lp6Wq1Tn9Vb2Mx4Cy7Hd5Gf0Js8Ka3Qw6Ee1Ru',
    ],
    content: {
      body: 'A message of an ordinary length, as people send them, with a link https://example.org/x',
      msgtype: 'm.text',
    },
    depth: 1234,
    hashes: { sha256: 'ThisIsTheContentHashOfTheEventInUnpaddedBase64Xx' },
    origin_server_ts: 1_790_000_000_000,
    prev_events: ['$Np4Tr7Yu2Io5Pa8Sd1Fg3Hj6Kl9Zx2Cv5Bn8Mq1We4Rt'],
    room_id: `!AbCdEfGhIjKlMnOpQr:${serverName}`,
    sender: `@someone:${serverName}`,
    type: 'm.room.message',
    unsigned: { age_ts: 1_790_000_000_000 },
  };
  return code.signJson(pdu, serverName, key);
}

/** Runs `fn` for `ms`; returns its rate (calls per second). */
function slice(fn, ms) {
  const t0 = performance.now();
  let n = 0;
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 64; i++) fn();
    n += 64;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

export async function benchSigVerify({ runs, sliceMs, log }) {
  const code = await loadServerCode();
  const serverName = 'remote.example';
  const seed = createHash('sha256').update('hearth bench signing seed').digest();
  const key = code.signingKeyFromSeed('bench', seed);
  const signed = samplePdu(code, key, serverName);
  const sigB64 = signed.signatures[serverName][key.keyId];
  const pubB64 = key.publicKeyBase64;
  const payload = Buffer.from(code.signingPayload(signed));
  const sig = code.decodeBase64(sigB64);
  const pub = code.decodeBase64(pubB64);
  const keyObject = createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, pub]),
    format: 'der',
    type: 'spki',
  });
  const tampered = Buffer.from(payload);
  tampered[10] ^= 1;
  const variants = {
    hearth: {
      label: "Hearth's check (canonical JSON + node:crypto)",
      run: () => code.verifyJsonSignature(signed, sigB64, pubB64),
      refuses: () =>
        !code.verifyJsonSignature({ ...signed, depth: signed.depth + 1 }, sigB64, pubB64),
    },
    crypto: {
      label: 'node:crypto verify (OpenSSL), payload bytes',
      run: () => cryptoVerify(null, payload, keyObject, sig),
      refuses: () => !cryptoVerify(null, tampered, keyObject, sig),
    },
    tweetnacl: {
      label: 'tweetnacl, payload bytes',
      run: () => nacl.sign.detached.verify(payload, sig, pub),
      refuses: () => !nacl.sign.detached.verify(tampered, sig, pub),
    },
    noble: {
      label: '@noble/ed25519, payload bytes',
      run: () => noble.verify(sig, payload, pub),
      refuses: () => !noble.verify(sig, tampered, pub),
    },
  };
  for (const [name, v] of Object.entries(variants)) {
    if (v.run() !== true || v.refuses() !== true) {
      throw new Error(`${name} does not verify the sample signature correctly`);
    }
  }
  const names = Object.keys(variants);
  const rates = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) slice(variants[n].run, sliceMs); // warm-up
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const n of order) rates[n].push(slice(variants[n].run, sliceMs));
  }
  const out = {
    payloadBytes: payload.length,
    runs,
    sliceMs,
    variants: Object.fromEntries(
      names.map((n) => [
        n,
        {
          label: variants[n].label,
          medianPerSec: round(median(rates[n]), 0),
          perSec: rates[n].map((x) => round(x, 0)),
        },
      ]),
    ),
  };
  for (const n of names) {
    log(`  ${variants[n].label}: ${out.variants[n].medianPerSec} verifications/s`);
  }
  return out;
}

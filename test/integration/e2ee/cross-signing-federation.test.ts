import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { crossSigningKeysForQuery } from '../../../server/e2ee/cross-signing/for-query.js';
import { withRequesterSignatures } from '../../../server/e2ee/cross-signing/requester-signatures.js';
import * as receiveStore from '../../../server/federation/receive/store.js';
import { pollUntil } from '../../helpers/js-sdk-crypto.js';
import {
  bootstrap,
  errcodes,
  uploadSignaturesOk,
  type CrossSigningKeys,
} from './cross-signing-fixtures.js';
import { startTwoServers, type TwoServers } from './federation-helpers.js';
import { query, signAs, type Device } from './keys-fixtures.js';

/**
 * Cross-signing across two real Hearths on loopback: alice of hs-a.test publishes her keys,
 * hs-b.test (where bob, who shares her room, lives) learns them by m.signing_key_update and
 * serves them to bob; bob's user-signing key signs alice's master key as B holds it, and
 * only bob sees that signature. What A tells other servers never carries the signature
 * another of its users made on alice's key with their user-signing key.
 */

const ports = new Map<string, number>();
let t: TwoServers;
let aliceKeys: CrossSigningKeys;
let carol: Device;
let bobKeys: CrossSigningKeys;

beforeAll(async () => {
  t = await startTwoServers(ports);
  carol = (await t.a.register('carol')) as Device;
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const ALICE = '@alice:hs-a.test';

describe('alice of A publishes her keys', () => {
  test('B receives them (m.signing_key_update) and bob sees master and self-signing keys', async () => {
    aliceKeys = await bootstrap(t.a, t.alice);
    await pollUntil('B holding alice’s cross-signing keys', async () => {
      const held = await receiveStore.getRemoteCrossSigningKeys(t.b.ctx.db, ALICE);
      return held.length === 2;
    });
    const held = await receiveStore.getRemoteCrossSigningKeys(t.b.ctx.db, ALICE);
    expect(Object.fromEntries(held.map((r) => [r.key_type, JSON.parse(r.key_json)]))).toEqual({
      master: aliceKeys.body.master_key,
      self_signing: aliceKeys.body.self_signing_key,
    });

    const q = await query(t.b, t.bob, { [ALICE]: [] });
    expect(q.master_keys[ALICE]).toEqual(aliceKeys.body.master_key);
    expect(q.self_signing_keys[ALICE]).toEqual(aliceKeys.body.self_signing_key);
    expect(q.user_signing_keys[ALICE]).toBeUndefined();
  });

  test('a signature by carol’s user-signing key (also of A) stays on A, seen by carol only', async () => {
    const carolKeys = await bootstrap(t.a, carol);
    const signed = signAs(aliceKeys.body.master_key!, carol.userId, carolKeys.userSigning);
    const failures = await uploadSignaturesOk(t.a, carol, {
      [ALICE]: { [aliceKeys.master.publicKeyBase64]: signed },
    });
    expect(failures).toEqual({});
    expect((await query(t.a, carol, { [ALICE]: [] })).master_keys[ALICE]).toEqual(signed);
    // What A serves to other servers (no requester) leaves it out.
    const forServers = await crossSigningKeysForQuery(t.a.ctx, null, [ALICE]);
    expect(forServers.master_keys[ALICE]).toEqual(aliceKeys.body.master_key);
    expect(forServers.user_signing_keys).toEqual({});
    const q = await query(t.b, t.bob, { [ALICE]: [] });
    expect(q.master_keys[ALICE]).toEqual(aliceKeys.body.master_key);
  });
});

describe('bob of B signs the master key of alice of A', () => {
  test('B checks it against the key it holds for alice; only bob sees the signature', async () => {
    bobKeys = await bootstrap(t.b, t.bob);
    const signed = signAs(aliceKeys.body.master_key!, t.bob.userId, bobKeys.userSigning);
    expect(
      await uploadSignaturesOk(t.b, t.bob, {
        [ALICE]: { [aliceKeys.master.publicKeyBase64]: signed },
      }),
    ).toEqual({});

    // B's cross-signing view of alice, as bob may see it, and as anyone else may.
    const forBob = await crossSigningKeysForQuery(t.b.ctx, t.bob.userId, [ALICE]);
    expect(forBob.master_keys[ALICE]).toEqual(signed);
    const forOthers = await crossSigningKeysForQuery(t.b.ctx, '@someone:hs-b.test', [ALICE]);
    expect(forOthers.master_keys[ALICE]).toEqual(aliceKeys.body.master_key);
    // The same signature added to a key as alice's server answered it.
    const merged = await withRequesterSignatures(t.b.ctx, t.bob.userId, {
      [ALICE]: aliceKeys.body.master_key!,
    });
    expect(merged[ALICE]).toEqual(signed);
  });

  test('a signature on a key that is not alice’s master key as B holds it is refused', async () => {
    const usk = bobKeys.userSigning;
    const failures = await uploadSignaturesOk(t.b, t.bob, {
      [ALICE]: {
        [aliceKeys.selfSigning.publicKeyBase64]: signAs(
          aliceKeys.body.self_signing_key!,
          t.bob.userId,
          usk,
        ),
      },
      // B holds no key of this user
      '@nobody:hs-a.test': {
        SOMEKEY: signAs({ user_id: '@nobody:hs-a.test' }, t.bob.userId, usk),
      },
    });
    expect(errcodes(failures)).toEqual({
      [ALICE]: { [aliceKeys.selfSigning.publicKeyBase64]: 'M_NOT_FOUND' },
      '@nobody:hs-a.test': { SOMEKEY: 'M_NOT_FOUND' },
    });
  });
});

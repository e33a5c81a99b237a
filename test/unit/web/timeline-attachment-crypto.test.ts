import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  AttachmentDecryptError,
  decryptAttachment,
  encryptAttachment,
  fromBase64,
  toUnpaddedBase64,
} from '../../../renderer/src/chat/timeline/attachment-crypto.js';

// Attachments in encrypted rooms (spec: "Sending encrypted attachments"): AES-256-CTR with a
// fresh key, the IV's counter half zero, SHA-256 of the ciphertext, all in the event.

const bytes = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 0xff;
  return b;
};

describe('attachment encryption', () => {
  test('round trip for empty, small and multi-block files', async () => {
    for (const n of [0, 1, 15, 16, 17, 4096, 100_003]) {
      const plain = bytes(n);
      const { ciphertext, info } = await encryptAttachment(plain.buffer);
      expect(ciphertext.byteLength).toBe(n);
      if (n > 16) expect(Buffer.from(ciphertext).equals(Buffer.from(plain))).toBe(false);
      const back = await decryptAttachment(ciphertext, info);
      expect(Buffer.from(back).equals(Buffer.from(plain))).toBe(true);
    }
  });

  test('the metadata has the spec shape', async () => {
    const { ciphertext, info } = await encryptAttachment(bytes(100).buffer);
    expect(info.v).toBe('v2');
    expect(info.key).toMatchObject({
      kty: 'oct',
      alg: 'A256CTR',
      ext: true,
      key_ops: ['encrypt', 'decrypt'],
    });
    expect(info.key.k).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 bytes, unpadded base64url (JWK)
    expect(info.iv).toMatch(/^[A-Za-z0-9+/]{22}$/); // 16 bytes, unpadded base64
    const iv = fromBase64(info.iv);
    expect([...iv.subarray(8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]); // the counter starts at 0
    expect(info.hashes.sha256).toBe(
      createHash('sha256').update(Buffer.from(ciphertext)).digest('base64').replace(/=+$/, ''),
    );
  });

  test('every file gets its own key and IV', async () => {
    const a = await encryptAttachment(bytes(32).buffer);
    const b = await encryptAttachment(bytes(32).buffer);
    expect(a.info.key.k).not.toBe(b.info.key.k);
    expect(a.info.iv).not.toBe(b.info.iv);
  });

  test('decrypts what another client (Node crypto, AES-256-CTR) encrypted', async () => {
    const key = Buffer.alloc(32, 9);
    const iv = Buffer.concat([Buffer.from('01020304a0b0c0d0', 'hex'), Buffer.alloc(8)]);
    const plain = Buffer.from('hello from another client, a little longer than one block');
    const c = createCipheriv('aes-256-ctr', key, iv);
    const ct = Buffer.concat([c.update(plain), c.final()]);
    const out = await decryptAttachment(new Uint8Array(ct).buffer, {
      v: 'v2',
      key: {
        kty: 'oct',
        key_ops: ['encrypt', 'decrypt'],
        alg: 'A256CTR',
        k: key.toString('base64url'),
        ext: true,
      },
      iv: toUnpaddedBase64(iv),
      hashes: { sha256: createHash('sha256').update(ct).digest('base64') }, // padded is accepted too
    });
    expect(Buffer.from(out).toString()).toBe(plain.toString());
  });

  test('refuses an altered file, a wrong version and a bad key', async () => {
    const { ciphertext, info } = await encryptAttachment(bytes(64).buffer);
    const altered = new Uint8Array(ciphertext.slice(0));
    altered[5]! ^= 1;
    await expect(decryptAttachment(altered.buffer, info)).rejects.toThrow(AttachmentDecryptError);
    await expect(decryptAttachment(ciphertext.slice(0, 63), info)).rejects.toThrow(/hash/);
    await expect(decryptAttachment(ciphertext, { ...info, v: 'v1' as 'v2' })).rejects.toThrow(
      /version/,
    );
    await expect(
      decryptAttachment(ciphertext, { ...info, key: { ...info.key, alg: 'A128CTR' as 'A256CTR' } }),
    ).rejects.toThrow(AttachmentDecryptError);
    await expect(decryptAttachment(ciphertext, { ...info, iv: 'AAAA' })).rejects.toThrow(/IV/);
  });
});

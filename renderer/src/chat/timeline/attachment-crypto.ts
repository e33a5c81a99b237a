/**
 * Attachment encryption for encrypted rooms (client-server spec, "Sending encrypted
 * attachments"): the file is encrypted with AES-CTR under a fresh 256-bit key before upload
 * and the event carries an EncryptedFile (`file`) instead of `url`. matrix-js-sdk does not
 * do this, so it is done here with WebCrypto (the browser's, or Node 20's globalThis.crypto).
 */

/** The spec's EncryptedFile object as it travels in m.image / m.file content. */
export interface EncryptedFile {
  url: string;
  key: {
    kty: 'oct';
    key_ops: string[];
    alg: 'A256CTR';
    k: string;
    ext: true;
  };
  iv: string;
  hashes: { sha256: string };
  v: 'v2';
}

export class AttachmentDecryptError extends Error {}

/** Unpadded standard base64, as the spec's iv and hashes use. */
export function toUnpaddedBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/=+$/, '');
}

export function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  // Accept both alphabets and missing padding: senders differ.
  let t = s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  while (t.length % 4 !== 0) t += '=';
  const bin = atob(t);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Encrypts `data`; returns the ciphertext to upload and the EncryptedFile fields (without
 * `url`, which the upload gives).
 */
export async function encryptAttachment(
  data: ArrayBuffer,
): Promise<{ ciphertext: ArrayBuffer; info: Omit<EncryptedFile, 'url'> }> {
  const subtle = globalThis.crypto.subtle;
  // The spec: a random 64-bit nonce in the IV's high half, the low half (the counter) zero,
  // so up to 2^64 blocks encrypt without the counter wrapping into the nonce.
  const iv = new Uint8Array(16);
  globalThis.crypto.getRandomValues(iv.subarray(0, 8));
  const key = await subtle.generateKey({ name: 'AES-CTR', length: 256 }, true, [
    'encrypt',
    'decrypt',
  ]);
  const jwk = await subtle.exportKey('jwk', key);
  const ciphertext = await subtle.encrypt({ name: 'AES-CTR', counter: iv, length: 64 }, key, data);
  const digest = await subtle.digest('SHA-256', ciphertext);
  return {
    ciphertext,
    info: {
      key: {
        kty: 'oct',
        key_ops: ['encrypt', 'decrypt'],
        alg: 'A256CTR',
        k: jwk.k ?? '',
        ext: true,
      },
      iv: toUnpaddedBase64(iv),
      hashes: { sha256: toUnpaddedBase64(new Uint8Array(digest)) },
      v: 'v2',
    },
  };
}

/**
 * Checks the ciphertext's SHA-256 against `file.hashes.sha256`, then decrypts it.
 * Throws AttachmentDecryptError when the file was altered or the metadata is unusable.
 */
export async function decryptAttachment(
  ciphertext: ArrayBuffer,
  file: Pick<EncryptedFile, 'key' | 'iv' | 'hashes' | 'v'>,
): Promise<ArrayBuffer> {
  const subtle = globalThis.crypto.subtle;
  if (file.v !== 'v2') throw new AttachmentDecryptError(`unsupported version ${String(file.v)}`);
  if (file.key?.alg !== 'A256CTR' || typeof file.key.k !== 'string') {
    throw new AttachmentDecryptError('the key is not an A256CTR key');
  }
  const expected = file.hashes?.sha256;
  if (typeof expected !== 'string') throw new AttachmentDecryptError('no SHA-256 hash');
  const digest = toUnpaddedBase64(new Uint8Array(await subtle.digest('SHA-256', ciphertext)));
  if (digest !== expected.replace(/=+$/, '')) {
    throw new AttachmentDecryptError('the file does not match its hash (altered or truncated)');
  }
  const iv = fromBase64(file.iv);
  if (iv.length !== 16) throw new AttachmentDecryptError('the IV is not 16 bytes');
  const key = await subtle
    .importKey(
      'jwk',
      { kty: 'oct', k: file.key.k, alg: 'A256CTR', ext: true, key_ops: ['encrypt', 'decrypt'] },
      { name: 'AES-CTR' },
      false,
      ['decrypt'],
    )
    .catch(() => {
      throw new AttachmentDecryptError('the key cannot be imported');
    });
  return subtle.decrypt({ name: 'AES-CTR', counter: iv, length: 64 }, key, ciphertext);
}

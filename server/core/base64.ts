/** Unpadded standard base64, as Matrix uses for keys, signatures and hashes. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

/** Decodes padded or unpadded, standard or URL-safe base64. */
export function decodeBase64(text: string): Buffer {
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** Unpadded URL-safe base64 (event ids of room version 4 and later, tokens). */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

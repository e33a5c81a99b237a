import type { MatrixClient } from 'matrix-js-sdk';

/**
 * Starts the Rust crypto (matrix-sdk-crypto-wasm) for a client, before client.startClient().
 * Owner: the chat-crypto engineer. Stub: does nothing yet.
 */
export async function setUpCrypto(client: MatrixClient): Promise<void> {
  void client;
}

/** Deletes this device's local key store (sign-out). */
export async function clearCryptoStore(userId: string): Promise<void> {
  void userId;
}

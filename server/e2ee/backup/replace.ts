/** What the replacement rule compares of a backed-up session key. */
export interface KeyRank {
  isVerified: boolean;
  firstMessageIndex: number;
  forwardedCount: number;
}

/**
 * Whether an uploaded session key replaces the one stored for the same session
 * (client-server API, "Server-side key backups"):
 * - different `is_verified`: keep the verified one;
 * - else different `first_message_index`: keep the lower one (it decrypts more messages);
 * - else keep the lower `forwarded_count`.
 * A key equal to the stored one on all three keeps the stored one (nothing changes, so the
 * etag does not move). Synapse replaces an unverified key with a lower index over a
 * verified one; the spec's order is followed here.
 */
export function shouldReplaceKey(stored: KeyRank | undefined, uploaded: KeyRank): boolean {
  if (!stored) return true;
  if (stored.isVerified !== uploaded.isVerified) return uploaded.isVerified;
  if (stored.firstMessageIndex !== uploaded.firstMessageIndex) {
    return uploaded.firstMessageIndex < stored.firstMessageIndex;
  }
  return uploaded.forwardedCount < stored.forwardedCount;
}

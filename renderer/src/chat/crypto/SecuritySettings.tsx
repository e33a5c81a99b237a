/**
 * The "Security" section of the person's settings: key backup set-up with a recovery key,
 * restore from a recovery key, this device's verification state. Owner: the chat-crypto
 * engineer; the chat-shell engineer's settings screen renders it.
 */
export function SecuritySettings() {
  return <section aria-label="Security" />;
}

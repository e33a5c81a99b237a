import type { MatrixEvent } from 'matrix-js-sdk';

/**
 * What a message that cannot be decrypted shows instead, in plain words (why, and what to
 * do). Owner: the chat-crypto engineer; the timeline renders it for events that failed to
 * decrypt (event.isDecryptionFailure()).
 */
export function DecryptionFailure(props: { event: MatrixEvent }) {
  void props.event;
  return <em>Unable to decrypt this message.</em>;
}

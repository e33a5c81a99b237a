import { useEffect, useState } from 'react';
import { MatrixEventEvent, type MatrixEvent } from 'matrix-js-sdk';
import { DecryptionFailureCode } from 'matrix-js-sdk/lib/crypto-api/index.js';
import './crypto.css';

/** What the person reads for each reason a message could not be decrypted. */
interface Explanation {
  /** One line: what happened, in plain words. */
  title: string;
  /** What to do about it (or why nothing can be done). */
  advice: string;
  /** Still expected to resolve by itself (a key on its way). */
  waiting?: boolean;
}

const SECURITY = 'Settings → Security';

/**
 * The plain-words explanation for a decryption failure code (matrix-js-sdk's
 * DecryptionFailureCode, which the Rust crypto sets on the event).
 */
export function explainDecryptionFailure(code: DecryptionFailureCode | null): Explanation {
  switch (code) {
    case DecryptionFailureCode.MEGOLM_UNKNOWN_INBOUND_SESSION_ID:
    case DecryptionFailureCode.OLM_UNKNOWN_MESSAGE_INDEX:
      return {
        title: 'Waiting for the key to this message',
        advice:
          "The sender's device has not shared the key with this device yet. It usually arrives " +
          'within moments; if it does not, the sender can open their app so their device comes online.',
        waiting: true,
      };
    case DecryptionFailureCode.MEGOLM_KEY_WITHHELD_FOR_UNVERIFIED_DEVICE:
      return {
        title: 'Not shared with this device because it is not verified',
        advice: `The sender only shares keys with verified devices. Verify this device in ${SECURITY} by entering your recovery key.`,
      };
    case DecryptionFailureCode.MEGOLM_KEY_WITHHELD:
      return {
        title: "The sender's device did not share the key with this device",
        advice:
          'Ask the sender to send the message again, or read it on a device that received it.',
      };
    case DecryptionFailureCode.HISTORICAL_MESSAGE_NO_KEY_BACKUP:
      return {
        title: 'Sent before you signed in on this device',
        advice:
          'Your account has no key backup, so older messages cannot be read here. Read them on a device ' +
          `that received them, and set up key backup in ${SECURITY} so this does not happen again.`,
      };
    case DecryptionFailureCode.HISTORICAL_MESSAGE_BACKUP_UNCONFIGURED:
      return {
        title: 'Sent before you signed in on this device',
        advice: `Enter your recovery key in ${SECURITY} to read older messages on this device.`,
      };
    case DecryptionFailureCode.HISTORICAL_MESSAGE_WORKING_BACKUP:
      return {
        title: 'Sent before you signed in on this device',
        advice:
          'Its key is not in your key backup (yet). It may arrive when a device that received it backs it up.',
        waiting: true,
      };
    case DecryptionFailureCode.HISTORICAL_MESSAGE_USER_NOT_JOINED:
      return {
        title: 'Sent before you joined',
        advice: 'Encrypted messages sent before you joined this conversation cannot be read.',
      };
    case DecryptionFailureCode.SENDER_IDENTITY_PREVIOUSLY_VERIFIED:
      return {
        title: "Hidden: the sender's identity changed",
        advice:
          'You verified this person before, and their identity has changed since. Check with them in person.',
      };
    case DecryptionFailureCode.UNSIGNED_SENDER_DEVICE:
    case DecryptionFailureCode.UNKNOWN_SENDER_DEVICE:
      return {
        title: 'Hidden: sent from a device its owner has not verified',
        advice: 'Ask the sender to verify that device, then it will show.',
      };
    default:
      return {
        title: 'This message could not be decrypted',
        advice: 'Something went wrong with its encryption. Ask the sender to send it again.',
      };
  }
}

/**
 * What a message that cannot be decrypted shows instead, in plain words (why, and what to
 * do). Owner: the chat-crypto engineer; the timeline renders it for events that failed to
 * decrypt (event.isDecryptionFailure()). It follows the event: a key that arrives later
 * changes the reason (or ends the failure, and the timeline shows the message).
 */
export function DecryptionFailure(props: { event: MatrixEvent }) {
  const { event } = props;
  const [code, setCode] = useState(event.decryptionFailureReason);
  useEffect(() => {
    const update = () => setCode(event.decryptionFailureReason);
    update();
    event.on(MatrixEventEvent.Decrypted, update);
    return () => {
      event.off(MatrixEventEvent.Decrypted, update);
    };
  }, [event]);

  const { title, advice, waiting } = explainDecryptionFailure(code);
  return (
    <div
      className={`crypto-utd${waiting ? ' crypto-utd-waiting' : ''}`}
      role="note"
      aria-label="Message not decrypted"
      data-failure-code={code ?? 'UNKNOWN_ERROR'}
    >
      <span className="crypto-utd-icon" aria-hidden="true">
        {waiting ? '⏳' : '🔒'}
      </span>
      <span className="crypto-utd-text">
        <strong className="crypto-utd-title">{title}</strong>
        <span className="crypto-utd-advice">{advice}</span>
      </span>
    </div>
  );
}

import { useState } from 'react';
import { askNotificationPermission, notificationsSupported } from './notifications';

/**
 * The offer to turn on desktop notifications. Browsers only honour the permission prompt
 * from a click, and asking on load is rude: the person chooses. `compact` is the sidebar's
 * dismissable banner; the settings screen shows the full state.
 */
export function NotificationPrompt(props: { compact?: boolean }) {
  const [perm, setPerm] = useState<NotificationPermission | 'unsupported'>(() =>
    notificationsSupported() ? Notification.permission : 'unsupported',
  );
  const [dismissed, setDismissed] = useState(
    () => localStorage.getItem('hearth.notify-dismissed') === '1',
  );
  const ask = async () => setPerm(await askNotificationPermission());

  if (props.compact) {
    if (perm !== 'default' || dismissed) return null;
    return (
      <div className="chat-notify-prompt" role="region" aria-label="Desktop notifications">
        <p>Get a desktop notification for mentions and direct messages.</p>
        <button type="button" className="primary" onClick={ask}>
          Turn on
        </button>
        <button
          type="button"
          onClick={() => {
            localStorage.setItem('hearth.notify-dismissed', '1');
            setDismissed(true);
          }}
        >
          Not now
        </button>
      </div>
    );
  }
  return (
    <div className="chat-notify-state">
      {perm === 'unsupported' && <p>This browser cannot show desktop notifications.</p>}
      {perm === 'granted' && (
        <p>
          Desktop notifications are on for mentions and direct messages while Hearth is in the
          background.
        </p>
      )}
      {perm === 'denied' && (
        <p>Desktop notifications are blocked. Allow them in the browser's site settings.</p>
      )}
      {perm === 'default' && (
        <>
          <p>Desktop notifications are off.</p>
          <button type="button" className="primary" onClick={ask}>
            Turn on desktop notifications
          </button>
        </>
      )}
    </div>
  );
}

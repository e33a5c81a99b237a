import { PictureButton } from './PictureButton';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Avatar } from './Avatar';
import { useChatClient } from './ClientContext';
import { SecuritySettings } from './crypto/SecuritySettings';
import { DevicesSection } from './DevicesSection';
import { errorMessage } from './Dialog';
import { NotificationPrompt } from './NotificationPrompt';
import { setOwnProfile, useOwnProfile } from './own-profile';

/** The person's settings: profile, notifications, devices, security, sign out. */
export function UserSettings() {
  const { signOut } = useChatClient();
  const [signingOut, setSigningOut] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  return (
    <div className="chat-user-settings">
      <h2 tabIndex={-1} ref={headingRef}>
        Settings
      </h2>
      <ProfileSection />
      <section className="chat-settings-section" aria-labelledby="chat-notify">
        <h3 id="chat-notify">Notifications</h3>
        <NotificationPrompt />
      </section>
      <DevicesSection />
      <SecuritySettings />
      <section className="chat-settings-section" aria-labelledby="chat-signout">
        <h3 id="chat-signout">Sign out</h3>
        <p className="chat-help">Signing out removes this device from your account.</p>
        <button
          type="button"
          className="chat-danger"
          disabled={signingOut}
          onClick={() => {
            setSigningOut(true);
            void signOut();
          }}
        >
          {signingOut ? 'Signing out…' : 'Sign out'}
        </button>
      </section>
    </div>
  );
}

function ProfileSection() {
  const { client, session } = useChatClient();
  const profile = useOwnProfile(client);
  const [name, setName] = useState(profile.displayName ?? '');
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [edited, setEdited] = useState(false);
  // The profile arrives from the server after the first render: show it unless edited.
  const shownName = edited ? name : (profile.displayName ?? '');
  const avatar = profile.avatarUrl;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setStatus(null);
    try {
      await client.setDisplayName(shownName.trim());
      setOwnProfile({ displayName: shownName.trim() });
      setStatus({ ok: true, text: 'Display name saved.' });
    } catch (err) {
      setStatus({ ok: false, text: errorMessage(err) });
    }
    setBusy(false);
  };
  const upload = async (file: File) => {
    setBusy(true);
    setStatus({ ok: true, text: 'Uploading picture…' });
    try {
      const { content_uri } = await client.uploadContent(file, { type: file.type });
      await client.setAvatarUrl(content_uri);
      setOwnProfile({ avatarUrl: content_uri });
      setStatus({ ok: true, text: 'Picture changed.' });
    } catch (err) {
      setStatus({
        ok: false,
        text: errorMessage(err, { M_TOO_LARGE: 'That picture is too large.' }),
      });
    }
    setBusy(false);
  };

  return (
    <section className="chat-settings-section" aria-labelledby="chat-profile">
      <h3 id="chat-profile">Profile</h3>
      <div className="chat-avatar-row">
        <Avatar
          client={client}
          mxc={avatar}
          name={shownName || session.userId}
          id={session.userId}
          size={64}
        />
        <PictureButton label="Profile picture" busy={busy} onFile={(f) => void upload(f)} />
      </div>
      <form className="chat-form" onSubmit={save}>
        <label htmlFor="chat-display-name">Display name</label>
        <input
          id="chat-display-name"
          value={shownName}
          onChange={(e) => {
            setEdited(true);
            setName(e.target.value);
          }}
        />
        <p className="chat-help">Your user ID is {session.userId}</p>
        <div className="chat-form-buttons">
          <button type="submit" className="primary" disabled={busy}>
            Save
          </button>
        </div>
      </form>
      {status && (
        <p role={status.ok ? 'status' : 'alert'} className={status.ok ? 'chat-ok' : 'chat-error'}>
          {status.text}
        </p>
      )}
    </section>
  );
}

import { useEffect, useState, type FormEvent } from 'react';
import { RoomMemberEvent, RoomStateEvent, type RoomMember } from 'matrix-js-sdk';
import { Avatar } from './Avatar';
import { useChatClient } from './ClientContext';
import { errorMessage } from './Dialog';
import { isUserId } from './links';
import { actionLevel, mayActOn, mayChangeLevel, userLevel } from './power';
import { roomAuth } from './room-auth';
import { useClientUpdates } from './use-client-updates';

const UPDATES = [
  RoomStateEvent.Members,
  RoomStateEvent.Events,
  RoomMemberEvent.PowerLevel,
  RoomMemberEvent.Membership,
];

const ROLES = [
  { level: 100, label: 'Admin' },
  { level: 50, label: 'Moderator' },
  { level: 0, label: 'Default' },
];

function roleName(level: number): string {
  if (level === Infinity) return 'Owner';
  return ROLES.find((r) => r.level === level)?.label ?? `Custom (${level})`;
}

/** The room's people with their roles, and what the person may do to them. */
export function RoomMembers(props: { roomId: string }) {
  const { client, session } = useChatClient();
  useClientUpdates(client, UPDATES);
  const room = client.getRoom(props.roomId);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    // Members are lazily loaded: the first sync only carried those who spoke.
    void room?.loadMembersIfNeeded().finally(() => setLoaded(true));
  }, [room]);
  if (!room) return null;

  const me = session.userId;
  const auth = roomAuth(room);
  const myLevel = userLevel(auth, me);
  const canInvite = myLevel >= actionLevel(auth, 'invite');
  const mayBan = myLevel >= actionLevel(auth, 'ban');
  const levelOf = (m: RoomMember) => userLevel(auth, m.userId);
  const byLevel = (a: RoomMember, b: RoomMember) =>
    levelOf(b) - levelOf(a) || a.name.localeCompare(b.name);
  const joined = room.getMembersWithMembership('join').sort(byLevel);
  const invited = room.getMembersWithMembership('invite').sort(byLevel);
  const banned = room.getMembersWithMembership('ban').sort(byLevel);

  const run = async (what: () => Promise<unknown>) => {
    setError(null);
    try {
      await what();
    } catch (err) {
      setError(errorMessage(err, { M_FORBIDDEN: 'You are not allowed to do that in this room.' }));
    }
  };

  const row = (m: RoomMember, kind: 'join' | 'invite' | 'ban') => {
    const isMe = m.userId === me;
    const level = levelOf(m);
    const levelChoices = ROLES.filter((r) => r.level <= myLevel);
    return (
      <li key={m.userId} className="chat-member">
        <Avatar client={client} mxc={m.getMxcAvatarUrl()} name={m.name} id={m.userId} size={32} />
        <span className="chat-member-names">
          <strong>
            {m.name}
            {isMe && ' (you)'}
          </strong>
          <small>{m.userId}</small>
        </span>
        {kind === 'join' && mayChangeLevel(auth, me, m.userId) ? (
          <>
            <label htmlFor={`chat-pl-${m.userId}`} className="visually-hidden">
              Role of {m.name}
            </label>
            <select
              id={`chat-pl-${m.userId}`}
              value={String(level)}
              onChange={(e) =>
                run(() => client.setPowerLevel(props.roomId, m.userId, Number(e.target.value)))
              }
            >
              {!ROLES.some((r) => r.level === level) && (
                <option value={level}>{roleName(level)}</option>
              )}
              {levelChoices.map((r) => (
                <option key={r.level} value={r.level}>
                  {r.label}
                </option>
              ))}
            </select>
          </>
        ) : (
          kind === 'join' && <span className="chat-role">{roleName(level)}</span>
        )}
        {kind === 'invite' && <span className="chat-role">Invited</span>}
        {!isMe && kind !== 'ban' && mayActOn(auth, me, m.userId, 'kick') && (
          <button
            type="button"
            onClick={() => run(() => client.kick(props.roomId, m.userId))}
            aria-label={`Remove ${m.name} from the room`}
          >
            {kind === 'invite' ? 'Cancel invite' : 'Remove'}
          </button>
        )}
        {!isMe && kind !== 'ban' && mayActOn(auth, me, m.userId, 'ban') && (
          <button
            type="button"
            className="chat-danger"
            onClick={() => run(() => client.ban(props.roomId, m.userId))}
            aria-label={`Ban ${m.name}`}
          >
            Ban
          </button>
        )}
        {kind === 'ban' && mayBan && (
          <button
            type="button"
            onClick={() => run(() => client.unban(props.roomId, m.userId))}
            aria-label={`Unban ${m.name}`}
          >
            Unban
          </button>
        )}
      </li>
    );
  };

  return (
    <section className="chat-settings-section" aria-labelledby="chat-room-people">
      <h3 id="chat-room-people">People</h3>
      {canInvite && <InviteForm roomId={props.roomId} />}
      {error && (
        <p role="alert" className="chat-error">
          {error}
        </p>
      )}
      {!loaded && <p role="status">Loading members…</p>}
      <ul
        className="chat-members"
        aria-label={`${joined.length} member${joined.length === 1 ? '' : 's'}`}
      >
        {joined.map((m) => row(m, 'join'))}
      </ul>
      {invited.length > 0 && (
        <>
          <h4>Invited</h4>
          <ul className="chat-members">{invited.map((m) => row(m, 'invite'))}</ul>
        </>
      )}
      {banned.length > 0 && (
        <>
          <h4>Banned</h4>
          <ul className="chat-members">{banned.map((m) => row(m, 'ban'))}</ul>
        </>
      )}
    </section>
  );
}

function InviteForm(props: { roomId: string }) {
  const { client } = useChatClient();
  const [userId, setUserId] = useState('');
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const id = userId.trim();
    if (!isUserId(id)) {
      setStatus({ ok: false, text: 'Enter a full user ID, like @bob:example.org.' });
      return;
    }
    setBusy(true);
    setStatus(null);
    try {
      await client.invite(props.roomId, id);
      setStatus({ ok: true, text: `Invited ${id}.` });
      setUserId('');
    } catch (err) {
      setStatus({
        ok: false,
        text: errorMessage(err, {
          M_NOT_FOUND: `There is no one called ${id}.`,
          M_FORBIDDEN: `${id} cannot be invited (already here, or banned).`,
        }),
      });
    }
    setBusy(false);
  };
  return (
    <form className="chat-inline-form" onSubmit={submit}>
      <label htmlFor="chat-invite-user" className="visually-hidden">
        User ID to invite
      </label>
      <input
        id="chat-invite-user"
        placeholder="@someone:example.org"
        autoCapitalize="none"
        spellCheck={false}
        value={userId}
        onChange={(e) => setUserId(e.target.value)}
      />
      <button type="submit" disabled={busy || !userId.trim()}>
        Invite
      </button>
      {status && (
        <p role={status.ok ? 'status' : 'alert'} className={status.ok ? 'chat-ok' : 'chat-error'}>
          {status.text}
        </p>
      )}
    </form>
  );
}

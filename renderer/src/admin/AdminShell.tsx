import { useEffect, useRef } from 'react';
import { hashFor } from '../shared/hash-route';
import { useAdmin } from './context';
import { FederationScreen } from './FederationScreen';
import { MediaScreen, UserMediaScreen } from './MediaScreen';
import { RoomDetail } from './RoomDetail';
import { RoomsScreen } from './RoomsScreen';
import { ServerScreen } from './ServerScreen';
import { TokensScreen } from './TokensScreen';
import { UserDetail } from './UserDetail';
import { UsersScreen } from './UsersScreen';

const SECTIONS = [
  { id: 'users', label: 'Users' },
  { id: 'tokens', label: 'Tokens' },
  { id: 'rooms', label: 'Rooms' },
  { id: 'media', label: 'Media' },
  { id: 'federation', label: 'Federation' },
  { id: 'server', label: 'Server' },
] as const;
type SectionId = (typeof SECTIONS)[number]['id'];

function sectionOf(route: string[]): SectionId {
  return SECTIONS.find((s) => s.id === route[0])?.id ?? 'users';
}

/** The admin frame: top bar, section navigation, and the screen for the route. */
export function AdminShell(props: { route: string[]; onSignOut: () => void }) {
  const { me } = useAdmin();
  const section = sectionOf(props.route);
  const detail = props.route[1];
  const mainRef = useRef<HTMLElement>(null);
  const label = SECTIONS.find((s) => s.id === section)!.label;

  useEffect(() => {
    document.title = `${detail ?? label} · Hearth admin`;
  }, [label, detail]);

  // A new screen moves focus to its content, as a page load would, so keyboard and screen
  // reader users start at the new heading instead of the link they left.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.focus({ preventScroll: true });
  }, [section, detail]);

  let screen;
  if (section === 'users') screen = detail ? <UserDetail userId={detail} /> : <UsersScreen />;
  else if (section === 'tokens') screen = <TokensScreen />;
  else if (section === 'rooms') screen = detail ? <RoomDetail roomId={detail} /> : <RoomsScreen />;
  else if (section === 'media')
    screen = detail ? <UserMediaScreen userId={detail} /> : <MediaScreen />;
  else if (section === 'federation') screen = <FederationScreen />;
  else screen = <ServerScreen />;

  return (
    <div className="adm">
      <header className="adm-top">
        <a className="adm-brand" href={hashFor(['admin'])}>
          Hearth <span>admin</span>
        </a>
        <span className="adm-me" title={me}>
          {me}
        </span>
        <a className="adm-button-link" href="#/">
          Back to chat
        </a>
        <button type="button" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      <nav className="adm-nav" aria-label="Admin sections">
        <ul>
          {SECTIONS.map((s) => (
            <li key={s.id}>
              <a
                href={hashFor(['admin', s.id])}
                aria-current={s.id === section ? 'page' : undefined}
              >
                {s.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main className="adm-main" ref={mainRef} tabIndex={-1}>
        {screen}
      </main>
    </div>
  );
}

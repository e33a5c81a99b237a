import { lazy, Suspense, useEffect, useState } from 'react';
import { getSetupStatus } from './shared/setup-status';
import { navigate, useHashRoute } from './shared/hash-route';

// Each face is its own chunk: the chat client (matrix-js-sdk, Rust crypto) is not loaded
// to show the wizard, and the admin views are not loaded to chat.
const Wizard = lazy(() => import('./wizard/Wizard'));
const ChatApp = lazy(() => import('./chat/ChatApp'));
const AdminApp = lazy(() => import('./admin/AdminApp'));

export function App() {
  const route = useHashRoute();
  const [needsSetup, setNeedsSetup] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    getSetupStatus()
      .then((s) => setNeedsSetup(s.needs_setup))
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);

  if (error) {
    return (
      <main className="centered">
        <h1>Hearth</h1>
        <p role="alert">The server did not answer: {error}</p>
      </main>
    );
  }
  if (needsSetup === null) return <Loading />;

  let face;
  if (needsSetup || route[0] === 'setup') {
    face = (
      <Wizard
        onDone={() => {
          setNeedsSetup(false);
          navigate([]);
        }}
      />
    );
  } else if (route[0] === 'admin') {
    face = <AdminApp route={route.slice(1)} />;
  } else {
    face = <ChatApp route={route} />;
  }
  return <Suspense fallback={<Loading />}>{face}</Suspense>;
}

function Loading() {
  return (
    <main className="centered" aria-busy="true">
      <p role="status">Loading…</p>
    </main>
  );
}

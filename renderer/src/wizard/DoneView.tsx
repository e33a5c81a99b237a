import { useEffect, useRef, useState } from 'react';
import { fetchReachability, type ApplyResponse, type Reachability } from './setup-api';
import { isLocalName } from './network-snippets';

/**
 * After apply: the admin is signed in (the session is saved already). Shows the result of
 * the reachability check when the server has one, then leads into the chat client.
 */
export function DoneView(p: { result: ApplyResponse; onOpen: () => void; onAdmin: () => void }) {
  const local = isLocalName(p.result.server_name);
  const [reach, setReach] = useState<Reachability | null | 'loading'>(local ? null : 'loading');
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    if (local) return;
    let live = true;
    void fetchReachability(p.result.access_token).then((r) => live && setReach(r));
    return () => {
      live = false;
    };
  }, [local, p.result.access_token]);
  return (
    <section className="wizard-done" aria-labelledby="wizard-done-title">
      <h2 id="wizard-done-title" ref={heading} tabIndex={-1}>
        Your server is ready
      </h2>
      <p>
        You are signed in as <strong>{p.result.user_id}</strong>.
      </p>
      {reach === 'loading' && (
        <p role="status" className="wizard-checking">
          Checking whether other servers can reach yours…
        </p>
      )}
      {reach && reach !== 'loading' && (
        <div className="wizard-reach" role="status">
          <h3 className="wizard-subhead">Can others reach it?</h3>
          {reach.summary && <p>{reach.summary}</p>}
          <ul>
            {reach.items.map((i) => (
              <li key={i.id} className={i.ok ? 'wizard-reach-ok' : 'wizard-reach-bad'}>
                <span aria-hidden="true">{i.ok ? '✓' : '!'}</span>
                <span>
                  <strong>{i.label}</strong>
                  <span className="visually-hidden">{i.ok ? ': fine' : ': needs attention'}</span>
                  {i.detail && <span className="wizard-choice-text">{i.detail}</span>}
                  {!i.ok && i.fix && <span className="wizard-choice-text">{i.fix}</span>}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
      <h3 className="wizard-subhead">What next</h3>
      <ul className="wizard-next">
        {p.result.registration === 'token' && (
          <li>Create an invite token for each person you want on your server (admin pages).</li>
        )}
        {p.result.registration === 'closed' && (
          <li>Make accounts for the people you want on your server (admin pages).</li>
        )}
        {p.result.registration === 'open' && (
          <li>Anyone who can reach this server can now make an account on it.</li>
        )}
        <li>Start a chat, or join a room by its address.</li>
      </ul>
      <div className="wizard-actions">
        <button type="button" onClick={p.onAdmin}>
          Open the admin pages
        </button>
        <button type="button" className="primary" onClick={p.onOpen}>
          Start chatting
        </button>
      </div>
    </section>
  );
}

// The web app's entry: one React app with three faces. The setup wizard shows while the
// server has no admin account; #/admin is the admin views; everything else is the chat client.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import './shared/theme.css';

const root = document.getElementById('root');
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );

// The web app (setup wizard, chat client, admin views) is built by Vite into dist/renderer,
// which the server serves at / (server/webui/routes.ts) and the desktop window loads.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // Every asset under /assets/ has a content hash in its name: the server sends it
    // with an immutable cache lifetime.
    assetsDir: 'assets',
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
  },
  logLevel: 'warn',
});

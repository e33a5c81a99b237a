// The preload: the web app's only bridge to the shell, exposed as window.hearthDesktop with
// context isolation (shell/desktop-api.ts is the whole API). It also binds the status
// page's "Try again" button, since that page runs no script of its own.
import { contextBridge, ipcRenderer } from 'electron';
import { IPC, type DesktopStatus, type HearthDesktopApi } from './shell/desktop-api.js';

const api: HearthDesktopApi = {
  platform: process.platform,
  getStatus: () => ipcRenderer.invoke(IPC.getStatus) as Promise<DesktopStatus>,
  onStatus(listener) {
    const handler = (_e: unknown, status: DesktopStatus) => listener(status);
    ipcRenderer.on(IPC.status, handler);
    return () => void ipcRenderer.off(IPC.status, handler);
  },
  retry: () => ipcRenderer.send(IPC.retry),
  setFederationPaused: (paused) =>
    ipcRenderer.invoke(IPC.setFederationPaused, paused) as Promise<DesktopStatus>,
  setOpenAtLogin: (open) => ipcRenderer.invoke(IPC.setOpenAtLogin, open) as Promise<DesktopStatus>,
};
contextBridge.exposeInMainWorld('hearthDesktop', api);

window.addEventListener('DOMContentLoaded', () => {
  document.getElementById('hearth-retry')?.addEventListener('click', () => api.retry());
});

// Loaded with --import into a forked `hearth serve`: gives it Electron's utility-process
// `process.parentPort` (postMessage, and 'message' events carrying { data }) on top of Node's
// IPC channel, so the server's Electron path (server/cli/parent-channel.ts) runs under Node.
const wrapped = new Map();
process.parentPort = {
  postMessage: (message) => process.send(message),
  on(event, listener) {
    const w = (data) => listener({ data });
    wrapped.set(listener, w);
    process.on(event, w);
  },
  off(event, listener) {
    const w = wrapped.get(listener);
    if (w) process.off(event, w);
    wrapped.delete(listener);
  },
};

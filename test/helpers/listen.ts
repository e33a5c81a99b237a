import { startListeners } from '../../server/http/listeners.js';
import { createTestServer, type TestServer } from './server.js';

export interface ListeningTestServer extends TestServer {
  /** Where the server listens: http://127.0.0.1:PORT. */
  baseUrl: string;
  port: number;
}

/**
 * A real Hearth listening on a free loopback port (client and federation resources), for
 * clients that speak HTTP (matrix-js-sdk, fetch). `config` overrides homeserver.yaml keys;
 * close() stops the listener, then the app and the database.
 */
export async function listenTestServer(
  config: Record<string, unknown> = {},
): Promise<ListeningTestServer> {
  const server = await createTestServer({
    listeners: [
      {
        port: 0,
        bind_addresses: ['127.0.0.1'],
        type: 'http',
        resources: [{ names: ['client', 'federation'] }],
      },
    ],
    ...config,
  });
  let listeners;
  try {
    listeners = await startListeners(server.app, server.ctx.config, server.ctx.log);
  } catch (err) {
    await server.close();
    throw err;
  }
  const port = listeners.addresses[0]!.port;
  const closeServer = server.close;
  return Object.assign(server, {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    async close() {
      await listeners.close();
      await closeServer();
    },
  });
}

import type { IncomingMessage } from 'node:http';
import type { ListenerConfig } from '../core/config/types.js';

const LISTENER = Symbol('hearth.listener');

type Tagged = IncomingMessage & { [LISTENER]?: ListenerConfig };

/** Marks a raw request with the listener it arrived on (resources, x_forwarded, compress). */
export function tagListener(req: IncomingMessage, listener: ListenerConfig): void {
  (req as Tagged)[LISTENER] = listener;
}

export function listenerOf(req: IncomingMessage): ListenerConfig | undefined {
  return (req as Tagged)[LISTENER];
}

/**
 * The client's address: the socket's, or the first X-Forwarded-For entry when the
 * listener sits behind a reverse proxy (x_forwarded: true).
 */
export function clientIp(req: IncomingMessage): string {
  if (listenerOf(req)?.xForwarded) {
    const fwd = req.headers['x-forwarded-for'];
    const first = (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

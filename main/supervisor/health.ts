/**
 * The homeserver's liveness, as a client would see it: GET /health (Synapse's health
 * resource, served by server/webui) on the client listener answers 200 "OK".
 */

/** Where the server that said `ready` with these addresses answers (loopback preferred). */
export function healthUrlFor(
  addresses: { host: string; port: number; tls: boolean }[],
): string | null {
  const usable = addresses.filter((a) => a.port > 0);
  const pick =
    usable.find((a) => a.host === '127.0.0.1' && !a.tls) ?? usable.find((a) => !a.tls) ?? usable[0];
  if (!pick) return null;
  // A wildcard bind is reached through loopback.
  let host = pick.host === '0.0.0.0' ? '127.0.0.1' : pick.host === '::' ? '::1' : pick.host;
  if (host.includes(':')) host = `[${host}]`;
  return `${pick.tls ? 'https' : 'http'}://${host}:${pick.port}/health`;
}

/**
 * True when `url` answers 2xx within `timeoutMs`. A stopped (SIGSTOP) or wedged server still
 * accepts the TCP connection in the kernel but never answers: the timeout catches it.
 */
export async function probeHealth(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

import type { Ctx } from '../context.js';
import type { BoundAddress } from '../http/listeners.js';
import { needsSetup } from './status.js';
import { createSetupToken, removeSetupToken, setupTokenPath } from './token.js';

/** The address a person on this machine would open: loopback, the first plain-HTTP listener. */
function localUrl(addresses: BoundAddress[]): string | null {
  const a = addresses.find((x) => !x.tls && (x.host === '127.0.0.1' || x.host === '::1'));
  const b = a ?? addresses[0];
  if (!b) return null;
  const host = b.host.includes(':') ? `[${b.host}]` : b.host;
  const h = host === '0.0.0.0' || host === '[::]' ? 'localhost' : host;
  return `${b.tls ? 'https' : 'http'}://${h}:${b.port}/`;
}

/**
 * At start: while the server has no admin, makes a new one-time setup token (in the data
 * folder, mode 0600) and says in the log where to finish setup, from this machine or, with
 * the token, from another. Once set up, a token left by an earlier run is removed.
 */
export async function announceSetup(ctx: Ctx, addresses: BoundAddress[]): Promise<void> {
  if (!(await needsSetup(ctx))) {
    removeSetupToken(ctx.config);
    return;
  }
  const token = createSetupToken(ctx.config, ctx.random);
  const url = localUrl(addresses);
  ctx.log.warn(
    {
      setupUrl: url,
      setupToken: token,
      setupTokenFile: setupTokenPath(ctx.config),
      ...(url ? { setupUrlWithToken: `${url}#/setup/${token}` } : {}),
    },
    `Hearth needs setting up: open ${url ?? 'this server'} in a browser on this machine, ` +
      `or from another machine open it with #/setup/${token} after the address ` +
      '(the token is also in the file setup-token in the data folder)',
  );
}

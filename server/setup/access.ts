import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import type { Ctx } from '../context.js';
import { errors } from '../core/errors.js';
import { needsSetup } from './status.js';
import { isSetupToken } from './token.js';

/** The header the wizard sends the setup token in (a custom header: never sent cross-site). */
export const SETUP_TOKEN_HEADER = 'x-hearth-setup-token';

/** What a setup endpoint knows of the request. */
export interface SetupRequest {
  clientIp: string;
  headers: IncomingHttpHeaders;
}

export type SetupAccess =
  { allowed: true; via: 'loopback' | 'token' } | { allowed: false; reason: string };

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
function isLoopbackAddress(ip: string): boolean {
  const a = ip.replace(/^\[|\]$/g, '').replace(/^::ffff:/i, '');
  if (isIP(a) === 4) return a.startsWith('127.');
  return a === '::1';
}

function isLoopbackHost(host: string): boolean {
  const name = host
    .toLowerCase()
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '');
  return name === 'localhost' || name.endsWith('.localhost') || isLoopbackAddress(name);
}

/** Every address a proxy says the request came through (X-Forwarded-For, X-Real-IP, Forwarded). */
function forwardedAddresses(h: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  const list = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(',') : (v ?? ''));
  for (const a of list(h['x-forwarded-for']).split(',')) if (a.trim()) out.push(a.trim());
  const real = list(h['x-real-ip']).trim();
  if (real) out.push(real);
  for (const m of list(h.forwarded).matchAll(/for="?([^";,]+)"?/gi)) out.push(m[1]!.trim());
  return out;
}

/**
 * Whether this request comes from the machine itself, as a person at its keyboard (or its
 * desktop window) would:
 * - the client address (server/http/client-ip.ts) is loopback, and so is every address a
 *   reverse proxy added: a proxy on this machine forwards the whole network, and a client
 *   can put "127.0.0.1" first in X-Forwarded-For itself;
 * - the Host is a loopback name: a web page that rebinds its own DNS name to 127.0.0.1
 *   would send its own name;
 * - an Origin, if the browser sent one, is this server's own page: any other web page the
 *   person has open could otherwise post to http://localhost:8008 (CORS allows every origin).
 */
export function isLocalRequest(req: SetupRequest): boolean {
  if (!isLoopbackAddress(req.clientIp)) return false;
  if (!forwardedAddresses(req.headers).every(isLoopbackAddress)) return false;
  const host = req.headers.host ?? '';
  if (!isLoopbackHost(host)) return false;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) {
    return false;
  }
  return true;
}

/** Whether this request may run setup right now, and if not, why (in words for a person). */
export async function setupAccess(ctx: Ctx, req: SetupRequest): Promise<SetupAccess> {
  if (!(await needsSetup(ctx))) {
    return { allowed: false, reason: 'This server is already set up.' };
  }
  const token = req.headers[SETUP_TOKEN_HEADER];
  if (typeof token === 'string' && token) {
    if (isSetupToken(ctx.config, token)) return { allowed: true, via: 'token' };
    return { allowed: false, reason: 'The setup token is not right.' };
  }
  if (isLocalRequest(req)) return { allowed: true, via: 'loopback' };
  return {
    allowed: false,
    reason:
      'Setup from another machine needs the setup token that the server printed in its log ' +
      '(also in the file setup-token in its data folder).',
  };
}

/** Throws 403 M_FORBIDDEN unless the request may run setup. */
export async function assertSetupAccess(
  ctx: Ctx,
  req: SetupRequest,
): Promise<'loopback' | 'token'> {
  const access = await setupAccess(ctx, req);
  if (!access.allowed) throw errors.forbidden(access.reason);
  return access.via;
}

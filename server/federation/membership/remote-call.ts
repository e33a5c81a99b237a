import type { Ctx } from '../../context.js';
import { MatrixError } from '../../core/errors.js';
import { verifyEventSignature } from '../../events/sign-event.js';
import type { EventJson } from '../../events/event-format.js';
import type { RoomVersion } from '../../events/room-versions.js';
import { getServerVerifyKey, ServerKeyError } from '../keys/fetch.js';
import { isEd25519KeyId } from '../keys/response.js';
import {
  FederationTransportError,
  type FederationRequest,
  type FederationResponse,
} from '../types.js';
import { isObject } from '../../core/is-object.js';

/**
 * Requests this server makes on behalf of a local user's invite, leave or knock, and how
 * their failures reach the user's client.
 */

/** A failed request to another server, as the client sees it. */
export class RemoteRefusal extends MatrixError {
  constructor(
    errcode: string,
    message: string,
    status: number,
    /** The other server answered (false: it could not be reached). */
    readonly answered: boolean,
    extra: Record<string, unknown> = {},
  ) {
    super(errcode, message, status, extra);
  }
}

/**
 * Sends `req` to `destination`; resolves with a 2xx answer. Otherwise throws RemoteRefusal:
 * an error the other server answered is passed on with its errcode and status (as
 * Synapse), except M_MISSING_PARAM / M_INVALID_PARAM, which the spec says must fail the
 * client's request with a 5xx (502 here); an unreachable server is 502 M_UNKNOWN.
 */
export async function callRemote(
  ctx: Ctx,
  destination: string,
  req: FederationRequest,
): Promise<FederationResponse> {
  let res: FederationResponse;
  try {
    res = await ctx.federation.request(destination, req);
  } catch (err) {
    if (!(err instanceof FederationTransportError)) throw err;
    ctx.log.info({ destination, path: req.path, reason: err.reason }, 'membership request failed');
    throw new RemoteRefusal(
      'M_UNKNOWN',
      `Could not reach ${destination}: ${err.message}`,
      502,
      false,
    );
  }
  if (res.status >= 200 && res.status < 300) return res;
  const body = isObject(res.body) ? res.body : {};
  const errcode = typeof body.errcode === 'string' ? body.errcode : 'M_UNKNOWN';
  const error = typeof body.error === 'string' ? body.error : `HTTP ${res.status}`;
  const message = `${destination} refused: ${error}`;
  if (errcode === 'M_MISSING_PARAM' || errcode === 'M_INVALID_PARAM' || res.status >= 500) {
    throw new RemoteRefusal(errcode === 'M_UNKNOWN' ? 'M_UNKNOWN' : errcode, message, 502, true);
  }
  const extra = typeof body.room_version === 'string' ? { room_version: body.room_version } : {};
  const status = res.status >= 400 && res.status < 500 ? res.status : 502;
  throw new RemoteRefusal(errcode, message, status, true, extra);
}

/** Whether a refusal means the endpoint is not served there (then try the older one). */
export function isUnsupportedEndpoint(err: unknown): boolean {
  return (
    err instanceof RemoteRefusal &&
    err.answered &&
    (err.errcode === 'M_UNRECOGNIZED' || err.status === 404 || err.status === 405)
  );
}

/**
 * Whether `server` signed `event` with at least one of its keys and every such signature
 * with a key that can be found verifies (appendices "Checking for a signature").
 */
export async function hasValidSignatureOf(
  ctx: Ctx,
  version: RoomVersion,
  event: EventJson,
  server: string,
): Promise<boolean> {
  const sigs = isObject(event.signatures) ? event.signatures[server] : undefined;
  const keyIds = isObject(sigs) ? Object.keys(sigs).filter(isEd25519KeyId) : [];
  let verified = false;
  for (const keyId of keyIds) {
    let key;
    try {
      key = await getServerVerifyKey(ctx, server, keyId);
    } catch (err) {
      if (err instanceof ServerKeyError) continue;
      throw err;
    }
    if (!verifyEventSignature(event, server, keyId, key.key, version)) return false;
    verified = true;
  }
  return verified;
}

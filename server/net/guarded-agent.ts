import { Agent as HttpAgent, type AgentOptions as HttpAgentOptions } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import type { LookupFunction } from 'node:net';
import { assertAddressAllowed } from './guarded-lookup.js';
import type { AddressPolicy } from './ip-ranges.js';

/** What a guarded agent checks every connection against. */
export interface AddressGuard {
  policy: AddressPolicy;
  /** A lookup from createGuardedLookup with the same policy. */
  lookup: LookupFunction;
}

type ConnectArgs = Parameters<HttpsAgent['createConnection']>;
/** Node calls back with an error and no socket too; @types/node does not say so. */
type ConnectCallback = (err: Error | null, socket?: Duplex) => void;

/**
 * An https.Agent whose every connection goes through the address guard: host names resolve
 * through the guarded lookup (so each connect checks the addresses it uses), and IP
 * literals, which Node connects to without a lookup, are checked here.
 */
export class GuardedHttpsAgent extends HttpsAgent {
  constructor(
    private readonly guard: AddressGuard,
    options: HttpsAgentOptions = {},
  ) {
    super({ ...options, lookup: guard.lookup });
  }

  override createConnection(
    options: ConnectArgs[0],
    callback?: ConnectArgs[1],
  ): Duplex | null | undefined {
    return connectGuarded(this.guard, options, callback, (o, cb) => super.createConnection(o, cb));
  }
}

/** The plain-HTTP twin of GuardedHttpsAgent (URL previews, push gateways). */
export class GuardedHttpAgent extends HttpAgent {
  constructor(
    private readonly guard: AddressGuard,
    options: HttpAgentOptions = {},
  ) {
    super(options);
  }

  override createConnection(
    options: ConnectArgs[0],
    callback?: ConnectArgs[1],
  ): Duplex | null | undefined {
    return connectGuarded(this.guard, options, callback, (o, cb) => super.createConnection(o, cb));
  }
}

/**
 * The connection both agents make: refused through the callback when the host is an IP
 * literal the guard denies, else made by `connect` with the guarded lookup.
 */
function connectGuarded(
  guard: AddressGuard,
  options: ConnectArgs[0],
  callback: ConnectArgs[1] | undefined,
  connect: (options: ConnectArgs[0], callback?: ConnectArgs[1]) => Duplex | null | undefined,
): Duplex | null | undefined {
  const refused = refuse(guard, options.host);
  if (refused) {
    (callback as ConnectCallback | undefined)?.(refused);
    return undefined;
  }
  return connect({ ...options, lookup: guard.lookup }, callback);
}

function refuse(guard: AddressGuard, host: string | null | undefined): Error | null {
  if (!host) return null;
  try {
    assertAddressAllowed(guard.policy, host);
    return null;
  } catch (err) {
    return err as Error;
  }
}

import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { receiveTransaction } from '../receive/transaction.js';

/**
 * The largest transaction body: 50 PDUs and 100 EDUs of at most 64 KiB each (client-server
 * "Size limits"), with room to spare for the JSON around them.
 */
const TRANSACTION_BODY_LIMIT = 12 * 1024 * 1024;

/**
 * PUT /_matrix/federation/v1/send/{txnId} — a transaction of PDUs and EDUs from another
 * server (transactions.yaml).
 * - The body's `origin` must be the server that signed the request (403 M_FORBIDDEN).
 * - At most 50 PDUs and 100 EDUs (400 M_BAD_JSON; Synapse answers 400 too).
 * - PDUs that fail are reported per event id in a 200 answer, never as an error status
 *   (spec "Rejection"); a repeated txnId of the same origin gets the first answer again.
 */
export const putTransaction = route({
  method: 'PUT',
  paths: ['/_matrix/federation/v1/send/{txnId}'],
  auth: 'federation',
  bodyLimit: TRANSACTION_BODY_LIMIT,
  schema: {
    params: Type.Object({ txnId: Type.String({ minLength: 1 }) }),
    body: Type.Object({
      origin: Type.String(),
      origin_server_ts: Type.Integer(),
      pdus: Type.Array(Type.Unknown()),
      edus: Type.Optional(Type.Array(Type.Unknown())),
    }),
  },
  handler: async (ctx, req) =>
    receiveTransaction(ctx, { origin: req.origin, txnId: req.params.txnId, body: req.body }),
});

export const transactionRoutes = [putTransaction];

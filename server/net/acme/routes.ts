import { errors } from '../../core/errors.js';
import { route } from '../../http/route.js';
import { getCertificateManager } from './registry.js';
import { disabledStatus } from './status.js';

/**
 * GET /_hearth/admin/v1/certificates — the ACME certificate: its state, dates, issuer, the
 * last error in plain words and when the next renewal (or retry) is due. Server admins only.
 */
export const getCertificates = route({
  method: 'GET',
  paths: ['/_hearth/admin/v1/certificates'],
  auth: 'admin',
  handler: async (ctx) => getCertificateManager(ctx)?.status() ?? disabledStatus(ctx.config.acme),
});

/**
 * POST /_hearth/admin/v1/certificates/renew — start issuing or renewing now, whatever the
 * schedule (and any backoff) says. Answers at once with the status ("issuing"/"renewing");
 * poll GET for the outcome. Server admins only.
 */
export const postCertificatesRenew = route({
  method: 'POST',
  paths: ['/_hearth/admin/v1/certificates/renew'],
  auth: 'admin',
  handler: async (ctx) => {
    const manager = getCertificateManager(ctx);
    if (!manager) {
      throw errors.unknown('ACME is not enabled on this server (acme.enabled in homeserver.yaml)');
    }
    manager.renewNow();
    return manager.status();
  },
});

export const certificateRoutes = [getCertificates, postCertificatesRenew];

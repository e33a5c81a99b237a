import { Type } from '@sinclair/typebox';
import { route, type Route } from '../../http/route.js';
import { lazyModule } from '../../core/lazy-module.js';

const loadPreview = lazyModule(() => import('./preview.js'));

const PreviewQuery = Type.Object({
  url: Type.String({ minLength: 1 }),
  ts: Type.Optional(
    Type.String({ pattern: '^-?[0-9]{1,16}$', description: 'a timestamp in milliseconds' }),
  ),
});

/**
 * GET /_matrix/client/v1/media/preview_url and its deprecated twin
 * GET /_matrix/media/v3/preview_url — OpenGraph data for a URL (spec: authed-content-repo,
 * content-repo).
 * - Both need an access token (the spec's accessTokenBearer, on the legacy path too).
 * - Off by default (url_preview_enabled); off, both answer 404 M_UNRECOGNIZED as Synapse's
 *   unregistered endpoints do.
 */
export const previewRoutes: Route[] = [
  route({
    method: 'GET',
    paths: [
      '/_matrix/client/v1/media/preview_url',
      '/_matrix/media/v3/preview_url',
      '/_matrix/media/r0/preview_url',
    ],
    auth: 'required',
    schema: { query: PreviewQuery },
    async handler(ctx, req) {
      return (await loadPreview()).previewUrl(ctx, {
        url: req.query.url,
        ts: req.query.ts === undefined ? null : Number(req.query.ts),
      });
    },
  }),
];

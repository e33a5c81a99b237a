import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { accountsRoutes } from './accounts/routes/index.js';
import { adminRoutes } from './admin/routes/index.js';
import type { Ctx } from './context.js';
import { discoveryRoutes } from './discovery/routes/index.js';
import { installPlumbing, JSON_BODY_LIMIT } from './http/plumbing.js';
import type { Route } from './http/route.js';
import { validatorCompiler } from './http/validation.js';
import { webuiRoutes } from './webui/routes.js';

/** Every route Hearth serves, grouped by domain (explicit lists, no autoloading). */
export const ALL_ROUTES: Route[] = [
  ...discoveryRoutes,
  ...accountsRoutes,
  ...adminRoutes,
  ...webuiRoutes,
];

/**
 * Builds the HTTP app with every domain registered. It never listens: the CLI, the Electron
 * utility process and the tests all start from here (tests call `inject`).
 */
export async function buildApp(ctx: Ctx): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log.child({ component: 'http' }) as FastifyBaseLogger,
    // Requests are logged by the plumbing's onResponse hook, at debug level.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: JSON_BODY_LIMIT,
    routerOptions: { maxParamLength: 1000 },
    return503OnClosing: true,
    // Our own validator (http/validation.ts) and plain JSON answers: fastify then never
    // loads ajv or fast-json-stringify, which saves start-up time and memory.
    schemaController: {
      compilersFactory: {
        buildValidator: () => validatorCompiler as never,
        buildSerializer: () => () => (data: unknown) => JSON.stringify(data),
      },
    },
  });
  installPlumbing(app, ctx.log);
  for (const r of ALL_ROUTES) r.register(app, ctx);
  await app.ready();
  return app;
}

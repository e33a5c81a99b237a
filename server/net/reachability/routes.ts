import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { Ctx } from '../../context.js';
import { route } from '../../http/route.js';
import type { ReachabilityReport } from './report.js';
import { getPortMappingStatus } from '../upnp/port-mapping.js';
import { lazyModule } from '../../core/lazy-module.js';

/**
 * GET /_hearth/admin/v1/reachability — the self-test (server admins; the wizard's network
 * step and the admin view). The last report is kept for a minute so a page that polls does
 * not probe the network each time; `?refresh=true` runs it again. Concurrent requests share
 * one run.
 */
const FRESH_MS = 60_000;
/**
 * The checks load on the first self-test: they import node:tls, and importing it as an ES
 * module reads (and keeps) every root certificate, memory a server that never runs the
 * self-test need not hold.
 */
const loadChecks = lazyModule(() => import('./run.js'));
const last = new WeakMap<Ctx, { report: ReachabilityReport; at: number }>();
const running = new WeakMap<Ctx, Promise<ReachabilityReport>>();

export async function reachabilityReport(ctx: Ctx, refresh: boolean): Promise<ReachabilityReport> {
  const cached = last.get(ctx);
  if (!refresh && cached && ctx.clock.now() - cached.at < FRESH_MS) return cached.report;
  let run = running.get(ctx);
  if (!run) {
    const c = ctx.config;
    // Set before any await, so concurrent requests share this run.
    run = loadChecks()
      .then(({ checkReachability }) =>
        checkReachability({
          serverName: c.serverName,
          extraCa: c.federationCustomCaList.map((f) => readFileSync(f, 'utf8')),
          verifyCertificates: c.federationVerifyCertificates,
          timeoutMs: 5_000,
          // The router's external address, when port mapping (UPnP) runs and learned it.
          nat: { externalIp: getPortMappingStatus(ctx).external_ip },
          outsideProberUrl: c.reachability.outsideProber ? c.reachability.outsideProberUrl : null,
          privateNetwork: c.reachability.privateNetwork,
          now: () => ctx.clock.now(),
        }),
      )
      .finally(() => running.delete(ctx));
    running.set(ctx, run);
  }
  const report = await run;
  last.set(ctx, { report, at: ctx.clock.now() });
  return report;
}

export const getReachability = route({
  method: 'GET',
  paths: ['/_hearth/admin/v1/reachability'],
  auth: 'admin',
  schema: {
    query: Type.Object({
      refresh: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    }),
  },
  handler: (ctx, req) => reachabilityReport(ctx, req.query.refresh === 'true'),
});

export const reachabilityRoutes = [getReachability];

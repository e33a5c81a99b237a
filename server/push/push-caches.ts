import type { Ctx } from '../context.js';
import { createCache, type Cache } from '../core/cache.js';
import type { CompiledRuleset } from './evaluate.js';
import type { RoomPushFacts } from './room-facts.js';
import type { PushRuleset } from './types.js';

/** A user's ruleset, as clients read it and compiled for evaluation. */
export interface CachedRuleset {
  ruleset: PushRuleset;
  compiled: CompiledRuleset;
}

/**
 * The push domain's in-memory caches, one set per context (so test servers sharing a
 * process never see each other's users), made on first use. They make the push-actions
 * hook cheap: it runs for every event, inside the writer.
 */
export interface PushCaches {
  /** user id -> their whole ruleset; dropped when the user changes a rule. */
  rulesets: Cache<string, CachedRuleset>;
  /** room id -> its members and power levels at some room state (room-facts.ts). */
  rooms: Cache<string, RoomPushFacts>;
}

const byCtx = new WeakMap<Ctx, PushCaches>();

/** The push caches of a context, sized by its cache factors (`push_rules`, `push_rooms`). */
export function pushCaches(ctx: Ctx): PushCaches {
  let caches = byCtx.get(ctx);
  if (!caches) {
    caches = {
      rulesets: createCache(ctx.config.caches, 'push_rules', 10_000),
      rooms: createCache(ctx.config.caches, 'push_rooms', 5_000),
    };
    byCtx.set(ctx, caches);
  }
  return caches;
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { systemRandom, type Random } from '../../server/core/clock.js';
import { generateConfig } from '../../server/core/config/generate.js';

export interface HomeserverFiles {
  configPath: string;
  /** True when this call wrote the config (the first run). */
  created: boolean;
}

/**
 * Makes sure `dir` holds a homeserver.yaml, writing one on the first run with the same
 * generator as `hearth generate-config` (paths inside it relative to `dir`, a new signing
 * key, fresh secrets). An existing config is never touched. The setup wizard changes the
 * server name later; until then it is `localhost`, as for `npm start`.
 */
export function ensureHomeserverConfig(opts: {
  dir: string;
  serverName?: string;
  port?: number;
  random?: Random;
}): HomeserverFiles {
  const configPath = join(opts.dir, 'homeserver.yaml');
  if (existsSync(configPath)) return { configPath, created: false };
  generateConfig({
    serverName: opts.serverName ?? 'localhost',
    configPath,
    port: opts.port,
    random: opts.random ?? systemRandom,
  });
  return { configPath, created: true };
}

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateConfig } from '../../core/config/generate.js';
import { systemRandom } from '../../core/clock.js';
import { startServer } from '../../main.js';
import { connectSupervisor } from '../parent-channel.js';
import type { Command } from '../usage.js';

/** Where `npm start` keeps everything when no config is given. */
export const DEFAULT_CONFIG_PATH = 'data/homeserver.yaml';

/**
 * hearth serve (alias start): runs the homeserver until SIGINT or SIGTERM, then drains and
 * closes. With no --config it uses ./data/homeserver.yaml, generating one for server name
 * localhost on port 8008 the first time.
 */
export const serveCommand: Command = {
  name: 'serve',
  aliases: ['start'],
  summary: 'run the homeserver',
  usage: 'hearth serve [--config FILE] [-v]',
  options: {
    config: { type: 'string', short: 'c' },
    'config-path': { type: 'string' },
    verbose: { type: 'boolean', short: 'v', multiple: true },
  },
  async run(values) {
    let configPath = (values.config ?? values['config-path']) as string | undefined;
    if (!configPath) {
      configPath = resolve(DEFAULT_CONFIG_PATH);
      if (!existsSync(configPath)) {
        generateConfig({ serverName: 'localhost', configPath, random: systemRandom });
        process.stderr.write(
          `No config given: generated ${configPath} for server name "localhost".\n` +
            'Open http://localhost:8008/ in a browser on this machine to set it up (or create an\n' +
            `admin from a terminal: npx hearth register-user --config ${DEFAULT_CONFIG_PATH} --admin).\n`,
        );
      }
    }
    const verbosity = (values.verbose as unknown as boolean[] | undefined)?.length ?? 0;
    const server = await startServer({
      configPath,
      ...(verbosity ? { logLevel: verbosity > 1 ? 'trace' : 'debug' } : {}),
    });
    let detach = () => {};
    const exitCode = await new Promise<number>((done) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          server.log.warn({ signal }, 'second signal: exiting now');
          return done(1);
        }
        stopping = true;
        server.log.info({ signal }, 'signal received');
        server.close().then(
          () => done(0),
          (err: unknown) => {
            server.log.error({ err }, 'error while shutting down');
            done(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      // A supervisor (the desktop shell) learns the bound ports here and may ask for the same
      // graceful stop by message; a message after a signal is not a second signal.
      detach = connectSupervisor(
        server.addresses,
        (why) => {
          if (!stopping) stop(why);
        },
        { resume: server.resume, setFederationPaused: server.setFederationPaused },
      );
    });
    detach();
    return exitCode;
  },
};

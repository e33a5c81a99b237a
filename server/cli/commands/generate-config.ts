import { generateConfig } from '../../core/config/generate.js';
import { systemRandom } from '../../core/clock.js';
import { requireString, UsageError, type Command } from '../usage.js';

/** hearth generate-config: writes homeserver.yaml and a signing key (Synapse's --generate-config). */
export const generateConfigCommand: Command = {
  name: 'generate-config',
  summary: 'write a new homeserver.yaml and signing key',
  usage:
    'hearth generate-config --server-name NAME --config-path FILE [--data-dir DIR] [--report-stats yes|no] [--port PORT]',
  options: {
    'server-name': { type: 'string', short: 'H' },
    'config-path': { type: 'string', short: 'c' },
    'data-dir': { type: 'string' },
    'report-stats': { type: 'string' },
    port: { type: 'string' },
  },
  async run(values) {
    const serverName = requireString(values, 'server-name');
    const configPath = requireString(values, 'config-path');
    const report = values['report-stats'];
    if (report !== undefined && report !== 'yes' && report !== 'no') {
      throw new UsageError('--report-stats must be yes or no');
    }
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
      throw new UsageError('--port must be a port number');
    }
    const files = generateConfig({
      serverName,
      configPath,
      dataDir: values['data-dir'] as string | undefined,
      reportStats: report === 'yes',
      port,
      random: systemRandom,
    });
    process.stdout.write(
      `Wrote ${files.configPath}\nWrote the signing key ${files.signingKeyPath}\n` +
        `Start the server with: hearth serve --config ${files.configPath}\n`,
    );
    return 0;
  },
};

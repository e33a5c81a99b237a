import { hashPasswordWith } from '../../accounts/password.js';
import { loadConfigFile } from '../../core/config/load.js';
import { prompt } from '../prompt.js';
import type { Command } from '../usage.js';

/**
 * hearth hash-password: prints a bcrypt hash of a password, as Synapse's hash_password does
 * (NFKC-normalised, pepper appended, bcrypt_rounds from the config when one is given).
 */
export const hashPasswordCommand: Command = {
  name: 'hash-password',
  summary: 'print a bcrypt hash of a password',
  usage: 'hearth hash-password [-p PASSWORD] [-c CONFIG]',
  options: {
    password: { type: 'string', short: 'p' },
    config: { type: 'string', short: 'c' },
  },
  async run(values) {
    let rounds = 12;
    let pepper = '';
    if (typeof values.config === 'string') {
      const { config } = loadConfigFile(values.config, { signingKeys: [] });
      rounds = config.bcryptRounds;
      pepper = config.passwordPepper;
    }
    let password = values.password as string | undefined;
    if (password === undefined) {
      password = await prompt('Password: ', { hidden: true });
      const again = await prompt('Confirm password: ', { hidden: true });
      if (password !== again) {
        process.stderr.write('hearth: passwords do not match\n');
        return 1;
      }
    }
    process.stdout.write(`${await hashPasswordWith(password, { rounds, pepper })}\n`);
    return 0;
  },
};

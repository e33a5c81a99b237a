import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/config/load.js';
import { packageRoot } from '../paths.js';
import { demoCommand } from './commands/demo.js';
import { generateConfigCommand } from './commands/generate-config.js';
import { hashPasswordCommand } from './commands/hash-password.js';
import { registerUserCommand } from './commands/register-user.js';
import { rotateSigningKeyCommand } from './commands/rotate-signing-key.js';
import { serveCommand } from './commands/serve.js';
import { parseCommandArgs, UsageError, type Command } from './usage.js';

/** The `hearth` command: a subcommand per task, each with --help; bad flags exit 2. */

const COMMANDS: Command[] = [
  serveCommand,
  generateConfigCommand,
  registerUserCommand,
  hashPasswordCommand,
  rotateSigningKeyCommand,
  demoCommand,
];

function overview(): string {
  const lines = COMMANDS.map(
    (c) => `  ${[c.name, ...(c.aliases ?? [])].join(', ').padEnd(22)} ${c.summary}`,
  );
  return `Usage: hearth <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "hearth <command> --help" for a command's options.\n`;
}

function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
}

/** Runs the CLI; resolves with the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(overview());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
      version: string;
    };
    process.stdout.write(`hearth ${pkg.version}\n`);
    return 0;
  }
  const cmd = findCommand(name);
  if (!cmd) {
    process.stderr.write(`hearth: unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseCommandArgs(cmd, rest);
    if (values.help) {
      process.stdout.write(`Usage: ${cmd.usage}\n\n${cmd.summary}\n`);
      return 0;
    }
    return await cmd.run(values, positionals);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`hearth ${cmd.name}: ${err.message}\nUsage: ${cmd.usage}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`hearth: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`hearth: ${(err as Error).message}\n`);
    return 1;
  }
}

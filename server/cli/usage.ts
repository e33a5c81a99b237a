import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad command line: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

export interface Command {
  name: string;
  aliases?: string[];
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  allowPositionals?: boolean;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

/** Parses argv for a command; unknown flags and missing values become UsageErrors. */
export function parseCommandArgs(
  cmd: Command,
  argv: string[],
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: cmd.allowPositionals ?? false,
      strict: true,
    });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
}

export function requireString(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || !v) throw new UsageError(`missing required option --${name}`);
  return v;
}

import pino from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/**
 * Structured JSON logs on stdout (or a given stream). The server never uses console.
 * Secrets that may appear in logged objects are redacted by path. `onLine` sees each line
 * as written (redacted, serialized): the admin API's log tail keeps the newest ones.
 */
export function createLogger(
  level: LogLevel,
  destination?: pino.DestinationStream,
  onLine?: (line: string) => void,
): Logger {
  return pino(
    {
      level,
      base: { name: 'hearth' },
      ...(onLine
        ? {
            hooks: {
              streamWrite: (line: string) => {
                onLine(line);
                return line;
              },
            },
          }
        : {}),
      redact: {
        paths: [
          'password',
          '*.password',
          'access_token',
          '*.access_token',
          'new_password',
          '*.new_password',
          'req.headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ sync: false }),
  );
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

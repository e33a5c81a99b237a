/** node:readline, loaded when a command first prompts (the server itself never does). */
const readline = () => import('node:readline');

/**
 * Reads one line from the terminal. With `hidden`, typed characters are not echoed (for
 * passwords). When stdin is not a terminal (a pipe), lines are read in order without echo.
 */
export async function prompt(question: string, opts: { hidden?: boolean } = {}): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return readPipedLine(question);
  const { createInterface } = await readline();
  return new Promise((resolve, reject) => {
    process.stderr.write(question);
    if (!opts.hidden) {
      const rl = createInterface({ input: stdin, terminal: false });
      rl.once('line', (line) => {
        rl.close();
        resolve(line);
      });
      return;
    }
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          return resolve(value);
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false);
          stdin.off('data', onData);
          process.stderr.write('\n');
          return reject(new Error('cancelled'));
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

let pipedLines: AsyncIterator<string> | null = null;

async function readPipedLine(question: string): Promise<string> {
  process.stderr.write(question);
  if (!pipedLines) {
    const { createInterface } = await readline();
    pipedLines = createInterface({ input: process.stdin, terminal: false })[Symbol.asyncIterator]();
  }
  const next = await pipedLines.next();
  process.stderr.write('\n');
  if (next.done) throw new Error('no more input on stdin');
  return next.value;
}

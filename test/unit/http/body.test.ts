import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MatrixError } from '../../../server/core/errors.js';
import { readJsonBody } from '../../../server/http/body.js';

/**
 * readJsonBody over a real socket: what it gives for each kind of body, that a body past
 * the limit is refused (declared, or found while reading a chunked one) and its
 * connection closed, and that a client going away mid-body fails the read rather than
 * leaving it waiting.
 */

const LIMIT = 1000;
let server: Server;
let port: number;
/** What the server's read of each request gave, by request path. */
const outcomes = new Map<string, Promise<unknown>>();

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const read = readJsonBody(req, LIMIT);
    outcomes.set(req.url!, read);
    read.then(
      (value) => res.end(JSON.stringify({ value: value ?? null })),
      (err: unknown) => {
        if (!res.destroyed) res.writeHead(err instanceof MatrixError ? err.status : 500).end();
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function post(path: string, body: string | Buffer[], headers: Record<string, string> = {}) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    if (typeof body === 'string') req.end(body);
    else {
      for (const b of body) req.write(b);
      req.end();
    }
  });
}

const failure = async (path: string) => {
  try {
    await outcomes.get(path);
    return null;
  } catch (err) {
    return err;
  }
};

describe('readJsonBody', () => {
  it('parses a JSON body, in one chunk or many', async () => {
    expect(await post('/one', '{"a":[1,"ü"]}')).toEqual({
      status: 200,
      text: '{"value":{"a":[1,"ü"]}}',
    });
    const parts = ['{"long":"', 'x'.repeat(300), '","n":', '5}'].map((s) => Buffer.from(s));
    const r = await post('/many', parts, { 'transfer-encoding': 'chunked' });
    expect(JSON.parse(r.text)).toEqual({ value: { long: 'x'.repeat(300), n: 5 } });
  });

  it('an empty or blank body is no body', async () => {
    expect((await post('/empty', '', { 'content-length': '0' })).text).toBe('{"value":null}');
    expect((await post('/blank', ' \n ')).text).toBe('{"value":null}');
  });

  it('bad JSON and prototype poisoning are 400 M_NOT_JSON', async () => {
    expect((await post('/bad', '{"a":')).status).toBe(400);
    expect(((await failure('/bad')) as MatrixError).errcode).toBe('M_NOT_JSON');
    expect((await post('/proto', '{"__proto__":{"admin":true}}')).status).toBe(400);
    expect(((await failure('/proto')) as MatrixError).errcode).toBe('M_NOT_JSON');
  });

  it('a declared length past the limit is 413 M_TOO_LARGE before reading', async () => {
    expect((await post('/declared', 'x'.repeat(LIMIT + 1))).status).toBe(413);
    expect(((await failure('/declared')) as MatrixError).errcode).toBe('M_TOO_LARGE');
  });

  it('a chunked body that grows past the limit is 413 M_TOO_LARGE', async () => {
    const chunk = Buffer.from('y'.repeat(400));
    const r = await post('/chunked', [chunk, chunk, chunk], { 'transfer-encoding': 'chunked' });
    expect(r.status).toBe(413);
    expect(((await failure('/chunked')) as MatrixError).errcode).toBe('M_TOO_LARGE');
  });

  it('a client that goes away mid-body fails the read instead of leaving it waiting', async () => {
    const sock = connect(port, '127.0.0.1');
    await new Promise((r) => sock.on('connect', r));
    sock.write('POST /gone HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"partial":');
    await expect.poll(() => outcomes.has('/gone')).toBe(true);
    sock.destroy();
    const err = await failure('/gone');
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(MatrixError);
  });
});

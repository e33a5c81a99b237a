// A minimal HTTP/1.1 keep-alive client on node:net for the load generator. node:http's
// client costs more CPU per request than a small server spends answering it, so on a
// machine with few cores a node:http load generator, not the server, sets the ceiling.
// This client sends a prebuilt request and reads just enough of the answer (status line,
// Content-Length) to know where it ends. One request in flight per connection, no
// pipelining: the same traffic as an http.Agent with keepAlive. Answers must carry a
// Content-Length (chunked ones are reported as an error).
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * The bytes of one request, built once and written for every request (or built per request
 * where the path changes, as for a send's transaction id). `token` adds an Authorization
 * header.
 */
export function buildRequest({ host, port, method, path, payload, token }) {
  const body = payload === undefined ? '' : payload;
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}:${port}`, 'Connection: keep-alive'];
  if (token !== undefined) lines.push(`Authorization: Bearer ${token}`);
  if (payload !== undefined) {
    lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}

/**
 * One keep-alive connection. send() resolves with { t0, t1, status } or { t0, t1, error };
 * after an error the next send() opens a new connection. send(request) writes that request
 * instead of the connection's own. With keepBody, the answer's body comes back too (as
 * `body`, a string decoded after t1 is taken, so decoding is not counted in the latency).
 */
export class RawConnection {
  constructor({ host, port, request, timeoutMs, keepBody = false }) {
    Object.assign(this, { host, port, request, timeoutMs, keepBody });
    this.socket = null;
    this.buf = Buffer.alloc(0);
    this.pending = null;
  }

  connect() {
    const socket = net.connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    socket.setTimeout(this.timeoutMs, () => socket.destroy(new Error('timeout')));
    // A replaced socket's late events must not touch the current request.
    socket.on('data', (chunk) => this.socket === socket && this.onData(chunk));
    socket.on('error', (err) => this.socket === socket && this.fail(err.code ?? err.message));
    socket.on('close', () => this.socket === socket && this.fail('closed'));
    this.socket = socket;
    this.buf = Buffer.alloc(0);
  }

  send(request = this.request) {
    return new Promise((resolve) => {
      if (!this.socket || this.socket.destroyed) this.connect();
      this.pending = { t0: performance.now(), resolve };
      this.socket.write(request);
    });
  }

  onData(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const end = this.buf.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.buf.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!m) {
      this.socket.destroy();
      this.fail(
        /\r\ntransfer-encoding:\s*chunked/i.test(head) ? 'chunked answer' : 'no content-length',
      );
      return;
    }
    const total = end + HEADER_END.length + Number(m[1]);
    if (this.buf.length < total) return;
    if (this.buf.length > total) {
      this.socket.destroy();
      this.fail('unexpected bytes after the answer');
      return;
    }
    const t1 = performance.now();
    const body = this.keepBody ? this.buf.toString('utf8', end + HEADER_END.length) : undefined;
    this.buf = Buffer.alloc(0);
    const p = this.pending;
    this.pending = null;
    if (/\r\nconnection:\s*close/i.test(head)) this.socket.end();
    p?.resolve({ t0: p.t0, t1, status, body });
  }

  fail(error) {
    const p = this.pending;
    this.pending = null;
    if (this.socket && !this.socket.destroyed) this.socket.destroy();
    p?.resolve({ t0: p.t0, t1: performance.now(), error });
  }

  close() {
    if (this.socket && !this.socket.destroyed) this.socket.destroy();
  }
}

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

/** The bytes of one request, built once and written for every request. */
export function buildRequest({ host, port, method, path, payload }) {
  const body = payload === undefined ? '' : payload;
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}:${port}`, 'Connection: keep-alive'];
  if (payload !== undefined) {
    lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}

/**
 * One keep-alive connection. send() resolves with { t0, t1, status } or { t0, t1, error };
 * after an error the next send() opens a new connection.
 */
export class RawConnection {
  constructor({ host, port, request, timeoutMs }) {
    Object.assign(this, { host, port, request, timeoutMs });
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

  send() {
    return new Promise((resolve) => {
      if (!this.socket || this.socket.destroyed) this.connect();
      this.pending = { t0: performance.now(), resolve };
      this.socket.write(this.request);
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
    this.buf = Buffer.alloc(0);
    const p = this.pending;
    this.pending = null;
    if (/\r\nconnection:\s*close/i.test(head)) this.socket.end();
    p?.resolve({ t0: p.t0, t1: performance.now(), status });
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

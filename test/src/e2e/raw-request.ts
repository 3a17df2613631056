import { request as httpRequest } from 'node:http';
import type { RawResponse } from '../api-test-harness.ts';

/** Bodies at least this big get a moment to be refused on their headers alone. */
const earlyAnswerBodyBytes = 1024 * 1024;
const earlyAnswerWaitMs = 500;

/**
 * One request with exactly these headers and body bytes, over a fresh connection, for
 * the malformed-request table against the real process.
 *
 * Why not api-test-harness's rawRequest: a body over the size limit is refused (413) on
 * its Content-Length alone and the server then closes the connection without reading the
 * rest. A client still writing megabytes gets EPIPE/ECONNRESET and, over a real socket,
 * often loses the 413 it had been sent (RFC 9112 §9.6 asks servers to close lingeringly
 * for this reason; Node's server does not). Like curl, which waits for "100 Continue"
 * before a large upload, this sends the head of a large request first and the body only
 * if no answer came within earlyAnswerWaitMs.
 */
export function sendRawRequest(
  baseUrl: string,
  spec: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer | null;
  },
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const body = spec.body === null || spec.body === undefined ? null : Buffer.from(spec.body);
  const headers: Record<string, string> = { ...spec.headers };
  if (body !== null) {
    headers['content-length'] = String(body.length);
  }
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: spec.method,
        path: spec.path,
        headers,
        agent: false,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (error) => {
      if (!answered) {
        reject(error);
      }
    });
    if (body === null || body.length < earlyAnswerBodyBytes) {
      req.end(body ?? undefined);
      return;
    }
    req.flushHeaders();
    // Answered already: the body is never sent, and the server closes the connection.
    setTimeout(() => {
      if (!answered) {
        req.end(body);
      }
    }, earlyAnswerWaitMs);
  });
}

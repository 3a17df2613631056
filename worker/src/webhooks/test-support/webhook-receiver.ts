import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request as the receiver saw it: the raw body bytes, as a real receiver must verify. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The parsed payload when the signature verified, else null. */
  verified: unknown;
  verifyError: string | null;
  atMs: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** Hold the answer this long (a slow receiver). */
  delayMs?: number;
}

export interface TestReceiver {
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedWebhook[];
  /** Resolves once `count` requests have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

/**
 * A webhook receiver on loopback for tests: it verifies every request with the
 * `standardwebhooks` library over the raw body, as the README tells receivers to, and
 * answers with what `answer(n)` says for the n-th request (0-based).
 */
export async function startTestReceiver(options: {
  secret: string;
  answer?: (n: number, request: ReceivedWebhook) => Answer;
  port?: number;
}): Promise<TestReceiver> {
  const verifier = new Webhook(options.secret);
  const received: ReceivedWebhook[] = [];
  const waiters: (() => void)[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let verified: unknown = null;
      let verifyError: string | null = null;
      try {
        verified = verifier.verify(rawBody, request.headers as Record<string, string>);
      } catch (error) {
        verifyError = (error as Error).message;
      }
      const record = { headers: request.headers, rawBody, verified, verifyError, atMs: Date.now() };
      const n = received.length;
      received.push(record);
      for (const wake of waiters.splice(0)) {
        wake();
      }
      const answer = options.answer?.(n, record) ?? { status: 204 };
      const send = () => {
        if (!response.destroyed) {
          response.writeHead(answer.status, answer.headers).end();
        }
      };
      if (answer.delayMs) {
        setTimeout(send, answer.delayMs).unref();
      } else {
        send();
      }
    });
  });
  server.keepAliveTimeout = 500;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/warmgen`,
    port,
    received,
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) {
          throw new Error(
            `receiver got ${received.length} of ${count} requests in ${timeoutMs} ms`,
          );
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return received.slice(0, count);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A whsec_ secret of 32 random-looking bytes, fixed per seed. */
export function testSecret(seed = 1): string {
  return `whsec_${Buffer.alloc(32, seed).toString('base64')}`;
}

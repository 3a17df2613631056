import http from 'node:http';
import https from 'node:https';
import type { WebhookAddressPolicy } from '@warmgen/shared/webhooks/webhook-address-policy.ts';
import { parseWebhookUrl, type ResolveHost } from '@warmgen/shared/webhooks/webhook-url-check.ts';
import { createGuardedLookup, WebhookAddressRefused } from './guarded-lookup.ts';
import { parseRetryAfter } from './retry-schedule.ts';

/** One POST of a webhook, as the delivery worker makes it. */
export interface WebhookPost {
  url: string;
  body: string;
  /** The signature headers; content type and user agent are added here. */
  headers: Record<string, string>;
}

/** What one attempt came to: recorded on the event as it is. */
export interface AttemptResult {
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  retryAfterMs: number | null;
}

export interface WebhookSenderOptions {
  policy: WebhookAddressPolicy;
  resolve: ResolveHost;
  /** The whole attempt: connect, send, and the answer's status line and headers. */
  timeoutMs: number;
  /** Parallel connections per receiver (keep-alive pools them). */
  maxSocketsPerHost?: number;
}

export interface WebhookSender {
  send(post: WebhookPost): Promise<AttemptResult>;
  /** Closes pooled connections. */
  close(): void;
}

/** Enough of an answer's body to log nothing and free the socket: the rest is cut off. */
const maxAnswerBytes = 64 * 1024;
const userAgent = 'warmgen-webhooks/1 (+https://www.standardwebhooks.com/)';

/**
 * HTTP(S) POSTs for webhooks with the SSRF guard on the connection itself: the URL is
 * checked (scheme, credentials, names, IP literals) and the host name is resolved by a
 * lookup hook that refuses forbidden addresses and connects to the checked ones (no DNS
 * rebinding window). node:http never follows redirects, so a 3xx is an answer like any
 * other (a failure). One timer bounds the attempt; the answer's status decides it, its body
 * is drained and dropped.
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const lookup = createGuardedLookup(options.policy, options.resolve);
  const agentOptions = { keepAlive: true, maxSockets: options.maxSocketsPerHost ?? 256 };
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };

  function send(post: WebhookPost): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const parsed = parseWebhookUrl(post.url, options.policy);
    if (!parsed.ok) {
      return Promise.resolve({
        statusCode: null,
        latencyMs: 0,
        error: `refused: the URL ${parsed.reason}`,
        retryAfterMs: null,
      });
    }
    const { url } = parsed.parsed;
    const isHttps = url.protocol === 'https:';
    const transport = isHttps ? https : http;
    const body = Buffer.from(post.body, 'utf8');

    return new Promise((resolve) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), options.timeoutMs);
      let settled = false;
      const settle = (result: Omit<AttemptResult, 'latencyMs'>) => {
        if (!settled) {
          settled = true;
          resolve({ ...result, latencyMs: elapsed() });
        }
      };
      const request = transport.request(
        url,
        {
          method: 'POST',
          agent: isHttps ? agents['https:'] : agents['http:'],
          lookup,
          signal: controller.signal,
          headers: {
            ...post.headers,
            'content-type': 'application/json',
            'content-length': String(body.length),
            'user-agent': userAgent,
          },
        },
        (response) => {
          const statusCode = response.statusCode ?? null;
          const retryAfter = response.headers['retry-after'];
          settle({
            statusCode,
            error: describeStatus(statusCode, response.headers.location),
            retryAfterMs: parseRetryAfter(
              Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
              Date.now(),
            ),
          });
          let received = 0;
          response.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > maxAnswerBytes) {
              response.destroy();
            }
          });
          response.on('close', () => clearTimeout(timer));
          response.on('error', () => undefined);
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        settle({
          statusCode: null,
          error: controller.signal.aborted
            ? `timeout: no answer within ${options.timeoutMs} ms`
            : describeError(error),
          retryAfterMs: null,
        });
      });
      request.end(body);
    });
  }

  return {
    send,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

function describeStatus(statusCode: number | null, location: string | undefined): string | null {
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
    return null;
  }
  if (statusCode !== null && statusCode >= 300 && statusCode < 400) {
    return `HTTP ${statusCode}: redirects are not followed${location ? ` (Location: ${location.slice(0, 200)})` : ''}`;
  }
  return `HTTP ${statusCode}`;
}

function describeError(error: NodeJS.ErrnoException): string {
  if (error instanceof WebhookAddressRefused || error.code === 'EWEBHOOKREFUSED') {
    return error.message;
  }
  return error.code ? `${error.code}: ${error.message}` : error.message;
}

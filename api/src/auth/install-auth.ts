import type { FastifyInstance } from 'fastify';
import { ApiError } from '../api-error.ts';
import { createApiKeyVerifier } from './api-key-verifier.ts';
import { setCaller } from './caller.ts';

export interface AuthOptions {
  /** required: a Bearer key on every request but the exempt ones. open: no keys. */
  mode: 'open' | 'required';
  /** SHA-256 digests (hex) of the accepted keys. */
  keyHashes: readonly string[];
}

/**
 * Paths answered without a key: the probes Cloud Run and load balancers call, and the API
 * description (it holds no data and lets tools discover the API). /metrics is NOT exempt:
 * it tells throughput and backlog, so a scraper sends a key like any client.
 */
export const unauthenticatedPaths: readonly string[] = ['/healthz', '/readyz', '/openapi.json'];

const bearerPattern = /^Bearer[ ]+([\x21-\x7E]+)[ ]*$/i;

/**
 * `Authorization: Bearer <key>` on every request (required mode). A missing or unknown key
 * is a 401 in the usual error shape with `WWW-Authenticate: Bearer`; a known one sets the
 * request's caller, whose owner id ties the jobs and batches it creates to that key.
 */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  if (options.mode === 'open') {
    return;
  }
  const verifier = createApiKeyVerifier(options.keyHashes);
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (unauthenticatedPaths.includes(path)) {
      return;
    }
    const header = singleAuthorization(request.raw.rawHeaders);
    const key = header === undefined ? undefined : bearerPattern.exec(header)?.[1];
    const owner = key === undefined ? null : verifier.verify(key);
    if (owner === null) {
      reply.header('www-authenticate', 'Bearer realm="warmgen"');
      throw new ApiError(
        'unauthorized',
        header === undefined
          ? 'missing API key: send Authorization: Bearer <key>'
          : 'invalid API key',
      );
    }
    setCaller(request, { owner });
  });
}

/**
 * The one Authorization header, or undefined when none was sent. Node keeps only the first
 * of several (`request.headers`), so `Bearer keyA` then `Bearer wrong` would pass on keyA:
 * two credentials are ambiguous (a proxy may have added one), so they are a 400, never a
 * guess. rawHeaders is [name, value, name, value, ...] as received.
 */
function singleAuthorization(rawHeaders: readonly string[]): string | undefined {
  let found: string | undefined;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === 'authorization') {
      count += 1;
      found = rawHeaders[i + 1];
    }
  }
  if (count > 1) {
    throw new ApiError(
      'bad_request',
      `headers/authorization was sent ${count} times; send exactly one Authorization: Bearer <key>`,
      [{ field: 'headers/authorization', message: `was sent ${count} times` }],
    );
  }
  return found;
}

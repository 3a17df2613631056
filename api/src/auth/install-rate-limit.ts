import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../api-error.ts';
import { callerOf } from './caller.ts';

/**
 * Per-key limit on submissions, with @fastify/rate-limit: a fixed one-minute window per key
 * (per client address when the API runs open), counted in this process. Over the limit:
 * 429 rate_limited with Retry-After (seconds to the window's end). Only routes that opt in
 * with `config: submissionRateLimit` count; reads, polls and probes are never limited.
 * Several API instances each count on their own (Cloud Run: the limit is per instance).
 */
export function installRateLimit(
  app: FastifyInstance,
  perMinute: number,
  /** The window; tests shorten it to see the limit recover. */
  windowMs = 60_000,
): void {
  // On the root instance (the plugin is not encapsulated), before the routes are added:
  // it attaches itself to each route that opts in as the route is registered.
  app.register(rateLimit, {
    global: false,
    max: Math.max(1, Math.round((perMinute * windowMs) / 60_000)),
    timeWindow: windowMs,
    keyGenerator: (request: FastifyRequest) => callerOf(request).owner ?? `ip:${request.ip}`,
    errorResponseBuilder: (_request, context) =>
      new ApiError(
        'rate_limited',
        `too many submissions: at most ${perMinute} a minute per API key; retry in ${context.after}`,
      ),
  });
}

/** Route config for the submission routes (only applied when a limit is installed). */
export const submissionRateLimit = { rateLimit: {} } as const;

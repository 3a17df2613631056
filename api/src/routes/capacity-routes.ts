import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import { ApiError } from '../api-error.ts';
import { CapacityViewSchema } from '../capacity/capacity-view.ts';
import { type CapacitySources, readCapacity } from '../capacity/read-capacity.ts';
import { errorResponses } from '../schemas/error-schema.ts';

export interface CapacityRouteOptions {
  store: JobStore;
  /** Null where the process has no heartbeat store wired: the route answers 503. */
  capacity: CapacitySources | null;
  now: () => number;
}

/**
 * GET /v1/capacity: which workers exist and what they are doing (from their heartbeats),
 * the backlog, the scaler, and when a job submitted now would start and finish. Needs an
 * API key like every data route: it names workers and shows the deployment's load.
 */
export const capacityRoutes: FastifyPluginAsyncTypebox<CapacityRouteOptions> = async (
  app,
  options,
) => {
  app.get(
    '/v1/capacity',
    {
      schema: {
        summary: 'Workers, backlog and scaling now, and when a new job would run',
        operationId: 'getCapacity',
        description:
          'Workers by state from their heartbeats (hydrating with bytes done and total; idle; busy with running rows), ' +
          "each one's model sha256, device and recent tokens/s; queue depth and the oldest queued job's age; " +
          "the launcher's running tasks or pool size, and `scaling.problem` when scaling fails (jobs stay queued); " +
          'an estimate of when a job submitted now would start and finish, from the backlog and the observed throughput.',
        tags: ['capacity'],
        response: { 200: CapacityViewSchema, ...errorResponses },
      },
    },
    async () => {
      if (options.capacity === null) {
        throw new ApiError('unavailable', 'capacity is not reported by this server');
      }
      return readCapacity(options.capacity, options.store, options.now());
    },
  );
};

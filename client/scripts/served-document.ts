import { type ApiServer, buildApi } from '@warmgen/api/build-api.ts';
import { configDefaults } from '@warmgen/shared/config/config-defaults.ts';
import type { JobQueue } from '@warmgen/shared/ports/job-queue.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import { Registry } from 'prom-client';

/**
 * The OpenAPI document exactly as a deployed API serves it at GET /openapi.json: built
 * in-process by the API's own buildApi, with the configured defaults (the limits appear in
 * the document's descriptions) and keys required (as on Cloud Run), without listening.
 * Building the document touches no storage, so the store and queue are stand-ins that
 * refuse every call: a call would mean the document depends on data, which it must not.
 */
export async function servedOpenApiDocument(): Promise<Record<string, unknown>> {
  const app = documentApi();
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
  }
}

/** The API as servedOpenApiDocument builds it, not yet ready (a test serves it to compare). */
export function documentApi(): ApiServer {
  return buildApi({
    store: refusing<JobStore>('store'),
    queue: refusing<JobQueue>('queue'),
    limits: configDefaults,
    isReady: () => false,
    registry: new Registry(),
    logger: false,
    auth: { mode: 'required', keyHashes: [], rateLimitPerMinute: 0 },
  });
}

function refusing<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_target, method) =>
      method === 'then'
        ? undefined
        : () =>
            Promise.reject(new Error(`the OpenAPI document read the ${name} (${String(method)})`)),
  });
}

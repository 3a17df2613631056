import { readApiOrigin } from './api-origin.ts';
import type { Env } from './parse-env.ts';

/**
 * STORAGE_API_ENDPOINT: where the Cloud Storage JSON API is, for MODEL_URI=gs://…; unset
 * means the real service (the rules: api-origin.ts). Returns the URL's origin (no path,
 * query or credentials: the client appends /storage/v1/...).
 */
export function readStorageApiEndpoint(env: Env): string | null {
  return readApiOrigin(env, 'STORAGE_API_ENDPOINT', '/storage/v1')?.origin ?? null;
}

import type { FastifyRequest } from 'fastify';

/**
 * Who is calling, as the auth hook established it. owner is the key's owner id (a job
 * created by this caller records it), or null when the API runs open (no keys).
 */
export interface Caller {
  owner: string | null;
}

const callers = new WeakMap<FastifyRequest, Caller>();

export function setCaller(request: FastifyRequest, caller: Caller): void {
  callers.set(request, caller);
}

export function callerOf(request: FastifyRequest): Caller {
  return callers.get(request) ?? { owner: null };
}

/**
 * Whether the caller may see a job or batch: always when the API is open; with keys, only
 * the key that created it. Anything else is answered 404, as if it did not exist, so ids
 * of other tenants cannot be probed.
 */
export function canAccess(caller: Caller, resource: { owner?: string | null }): boolean {
  return caller.owner === null || (resource.owner ?? null) === caller.owner;
}

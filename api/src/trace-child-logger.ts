import { traceFields, traceIdOf } from '@warmgen/shared/logging/cloud-trace.ts';
import type { FastifyServerOptions } from 'fastify';

export type PinoLoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>;
type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;

/**
 * Adds the trace field to each request's logger (see cloud-trace.ts); without a project
 * id (the embedded backend) the factory adds nothing.
 */
export function traceChildLoggerFactory(projectId: string | null): ChildLoggerFactory {
  return function childLoggerFactory(logger, bindings, options, rawRequest) {
    const trace = traceFields(projectId, projectId ? traceIdOf(rawRequest.headers) : null);
    return logger.child({ ...bindings, ...trace }, options);
  };
}

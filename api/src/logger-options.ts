import type { FastifyServerOptions } from 'fastify';

export type PinoLoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>;
type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;

const traceFieldName = 'logging.googleapis.com/trace';

/**
 * The trace id of a request, from W3C `traceparent` or Google's `X-Cloud-Trace-Context`
 * (`TRACE_ID/SPAN_ID;o=1`), both of which Cloud Run's front end sets.
 */
export function traceIdOf(headers: Record<string, string | string[] | undefined>): string | null {
  const traceparent = headers.traceparent;
  if (typeof traceparent === 'string') {
    const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent.trim());
    if (match?.[1]) {
      return match[1];
    }
  }
  const cloudTrace = headers['x-cloud-trace-context'];
  if (typeof cloudTrace === 'string') {
    const match = /^([0-9a-fA-F]{32})(?:\/|$)/.exec(cloudTrace);
    if (match?.[1]) {
      return match[1].toLowerCase();
    }
  }
  return null;
}

/**
 * Adds the trace field to each request's logger. Cloud Logging links a line to its trace
 * only when the value is `projects/PROJECT/traces/TRACE`, so without a project id the
 * factory adds nothing.
 */
export function traceChildLoggerFactory(projectId: string | null): ChildLoggerFactory {
  return function childLoggerFactory(logger, bindings, options, rawRequest) {
    const traceId = projectId ? traceIdOf(rawRequest.headers) : null;
    const withTrace = traceId
      ? { ...bindings, [traceFieldName]: `projects/${projectId}/traces/${traceId}` }
      : bindings;
    return logger.child(withTrace, options);
  };
}

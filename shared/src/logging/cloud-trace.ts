/**
 * The Cloud Trace id of a request and the log field that links a line to it. Cloud
 * Logging groups a line under a trace only when the field holds
 * `projects/PROJECT/traces/TRACE`, so a process without a project id adds nothing.
 * The job store keeps the bare id (32 hex characters) with each job, so the worker's
 * lines for a job join the trace of the request that submitted it.
 */
export const traceFieldName = 'logging.googleapis.com/trace';

/**
 * The trace id from W3C `traceparent` or Google's `X-Cloud-Trace-Context`
 * (`TRACE_ID/SPAN_ID;o=1`), both of which Cloud Run's front end sets; lowercase, or null.
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

/** The field to add to a line for this trace: none without a project or a trace. */
export function traceFields(
  projectId: string | null,
  traceId: string | null | undefined,
): Record<string, string> {
  return projectId && traceId
    ? { [traceFieldName]: `projects/${projectId}/traces/${traceId}` }
    : {};
}

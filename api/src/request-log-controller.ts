import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * One log line per request, written when the response is done, with the `httpRequest`
 * object Cloud Logging shows as a request entry (method, URL, status, latency). Fastify's
 * default writes two lines per request in its own shape.
 */
export class CloudLoggingLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const route = request.routeOptions.url ?? 'unmatched';
    const fields = {
      httpRequest: {
        requestMethod: request.method,
        requestUrl: request.url,
        status: reply.statusCode,
        latency: `${(reply.elapsedTime / 1000).toFixed(3)}s`,
        userAgent: request.headers['user-agent'],
        remoteIp: request.ip,
      },
    };
    if (error) {
      reply.log.error({ ...fields, err: error }, `${request.method} ${route} failed`);
    } else {
      reply.log.info(fields, `${request.method} ${route} ${reply.statusCode}`);
    }
  }
}

import {
  type StorageCondition,
  storageConditionText,
  storageFailureOf,
} from '@warmgen/shared/errors/storage-failure.ts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ErrorBody, errorBody } from './api-error.ts';
import { describeSchemaErrors, detailsToMessage } from './schemas/validation-messages.ts';

/**
 * Retry-After of a storage failure's 503: long enough for a filled disk to be noticed and
 * freed or a service to fail over, short enough that a retrying client is not left idle.
 */
export const storageRetryAfterSeconds = 10;

/**
 * Maps everything that can go wrong with a request onto the one error shape. Bad input is
 * always a 4xx: only a fault of ours (or of the store/queue) becomes a 500, and its
 * message is not shown to the client.
 */
export function installErrorHandling(app: FastifyInstance): void {
  const routes: { method: string; pattern: RegExp }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      routes.push({ method, pattern: routePattern(route.url) });
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const storage = storageFailureOf(error);
    if (storage !== null) {
      // Not a bug: the client should come back later, so it gets a 503 it can act on.
      request.log.warn({ err: error, storage }, 'storage unavailable');
      return reply
        .code(503)
        .header('retry-after', String(storageRetryAfterSeconds))
        .send(
          errorBody(
            'storage_unavailable',
            `${storageConditionText[storage.condition]} (${storage.source}); ${outcomeOf(storage.condition)}retry in ${storageRetryAfterSeconds} s`,
            [{ field: 'storage', message: storage.condition }],
          ),
        );
    }
    const { status, body } = toErrorResponse(error, request);
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
    }
    return reply.code(status).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = routes.filter((r) => r.pattern.test(path)).map((r) => r.method);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      return reply
        .code(405)
        .header('allow', [...new Set(allowed)].join(', '))
        .send(errorBody('method_not_allowed', `${request.method} is not allowed on ${path}`));
    }
    return reply.code(404).send(errorBody('not_found', `no route for ${request.method} ${path}`));
  });
}

function toErrorResponse(
  error: FastifyError,
  request: FastifyRequest,
): { status: number; body: ErrorBody } {
  if (error instanceof ApiError) {
    return { status: error.statusCode, body: error.toBody() };
  }
  if (error.validation) {
    const details = describeSchemaErrors(error.validation, error.validationContext ?? 'request');
    return {
      status: 400,
      body: errorBody('validation_failed', detailsToMessage(details) || error.message, details),
    };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: errorBody(
          'payload_too_large',
          `request body is larger than the limit of ${request.routeOptions.bodyLimit} bytes`,
        ),
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const sent = request.headers['content-type'];
      return {
        status: 415,
        body: errorBody(
          'unsupported_media_type',
          `${sent === undefined ? 'a body without a content type' : `content type "${sent}"`} is not supported here; use ${acceptedMediaTypes(request)}`,
        ),
      };
    }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: errorBody('empty_body', 'request body is empty') };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: 400,
        body: errorBody('bad_request', 'Content-Length does not match the body received'),
      };
    default:
      break;
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return { status, body: errorBody('bad_request', error.message) };
  }
  return { status: 500, body: errorBody('internal', 'internal error; it has been logged') };
}

function acceptedMediaTypes(request: FastifyRequest): string {
  return request.method === 'POST' && request.routeOptions.url === '/v1/batches'
    ? 'application/json, application/jsonl or application/x-ndjson'
    : 'application/json';
}

/** `/v1/generations/:id/cancel` -> a regex matching concrete paths, for 405 answers. */
function routePattern(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((segment) =>
      segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${escaped}$`);
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (a malformed request
 * line or headers). The socket gets a minimal response in the same error shape.
 */
export function clientErrorHandler(
  error: NodeJS.ErrnoException,
  socket: import('node:net').Socket,
): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, text, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'bad_request', 'request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'bad_request', 'request took too long to arrive']
        : [400, 'Bad Request', 'bad_request', 'malformed HTTP request'];
  const body = JSON.stringify(errorBody(code, message));
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * What a client may assume about its request. Store writes are transactions, so a refused
 * one changed nothing; only a deadline leaves the outcome unknown (the service may have
 * applied it), and a retry with the same Idempotency-Key is what makes that safe.
 */
function outcomeOf(condition: StorageCondition): string {
  return condition === 'deadline_exceeded'
    ? 'the request may or may not have been applied (resend it with the same Idempotency-Key); '
    : 'nothing was changed; ';
}

/**
 * Fastify's own routing errors (a URL that cannot be decoded). The message does not quote
 * the URL: Fastify's does, and a client that sent 8 KB of path got 8 KB back.
 */
export function frameworkErrorHandler(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  reply
    .code(400)
    .send(errorBody('bad_request', `the URL is malformed (${error.code}): check its %-escapes`));
}

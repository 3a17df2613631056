import type { FastifyInstance } from 'fastify';
import { ApiError } from './api-error.ts';
import { assertUtf8Charset, decodeUtf8Strict } from './strict-utf8.ts';

/**
 * Replaces Fastify's body parsers with one for JSON that reads the raw bytes, so bad UTF-8
 * and bad JSON each get their own clear 400. Every other content type is a 415 (the
 * batches routes add JSONL in their own scope).
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      assertUtf8Charset(request.headers['content-type']);
      const buffer = body as Buffer;
      if (buffer.length === 0) {
        // A bodyless POST that carries a JSON content type (cancel from some clients) is
        // fine where the route takes no body.
        if (request.routeOptions.schema?.body === undefined) {
          done(null, undefined);
          return;
        }
        throw new ApiError('empty_body', 'request body is empty; send a JSON object');
      }
      done(null, parseJson(decodeUtf8Strict(buffer), 'body'));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/** JSON.parse with a 400 that says where the JSON broke. */
export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ApiError('invalid_json', `${where} is not valid JSON: ${reason}`, undefined, {
      cause: error,
    });
  }
}

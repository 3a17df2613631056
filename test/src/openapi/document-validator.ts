import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * Checks requests and responses against the API's own OpenAPI 3.1 document, the way a
 * validating proxy (Prism) or a generated client would read it: the operation is found by
 * method and path template, the status by exact code, then `4XX`/`5XX`, then `default`; a
 * media type that the operation does not list is a violation. JSON bodies are validated
 * with Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1); a JSONL body must be typed
 * `string` and every line must match the media type's `x-item-schema`. Request bodies are
 * checked for accepted requests (status below 400) only.
 */
export interface Exchange {
  method: string;
  /** The path as sent, with the query string if any. */
  path: string;
  request?: { contentType: string; body: string };
  status: number;
  /** The response's content type, parameters included (`application/json; charset=utf-8`). */
  contentType: string;
  body: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON read by path
type Json = any;

export function createDocumentValidator(document: Json) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const operations = Object.entries(document.paths as Record<string, Json>).flatMap(
    ([template, item]) =>
      Object.entries(item as Record<string, Json>).map(([method, operation]) => ({
        method: method.toUpperCase(),
        template,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        operation,
      })),
  );
  const compiled = new Map<Json, ReturnType<typeof ajv.compile>>();
  const validatorFor = (schema: Json) => {
    let validate = compiled.get(schema);
    if (validate === undefined) {
      validate = ajv.compile(schema);
      compiled.set(schema, validate);
    }
    return validate;
  };

  /** Violations of one media object by a body, each prefixed with `where`. */
  function checkMedia(where: string, media: Json, contentType: string, body: string): string[] {
    if (isJsonl(contentType)) {
      if (media.schema?.type !== 'string' || media['x-item-schema'] === undefined) {
        return [`${where}: JSONL is not described as a string of lines with x-item-schema`];
      }
      const itemValidator = validatorFor(media['x-item-schema']);
      return body
        .split('\n')
        .map((line, index) => ({ line, index }))
        .filter(({ line }) => line.trim() !== '')
        .flatMap(({ line, index }) =>
          itemValidator(JSON.parse(line))
            ? []
            : [`${where} line ${index + 1}: ${ajv.errorsText(itemValidator.errors)}`],
        );
    }
    if (media.schema === undefined) {
      return [];
    }
    const value = contentType.startsWith('application/json') ? JSON.parse(body) : body;
    const validate = validatorFor(media.schema);
    return validate(value) ? [] : [`${where}: ${ajv.errorsText(validate.errors)}`];
  }

  return {
    /** Every way the exchange departs from the document; [] when it conforms. */
    check(exchange: Exchange): string[] {
      const path = exchange.path.split('?')[0] ?? '';
      const label = `${exchange.method} ${exchange.path} -> ${exchange.status}`;
      const found = operations.find((o) => o.method === exchange.method && o.pattern.test(path));
      if (found === undefined) {
        return [`${label}: no operation in the document`];
      }
      const violations: string[] = [];
      // A refused request (4xx) is expected to break the request schema; only accepted
      // ones must conform, as a validating proxy would have let them through.
      if (exchange.request !== undefined && exchange.status < 400) {
        const type = mediaType(exchange.request.contentType);
        const media = found.operation.requestBody?.content?.[type];
        if (media === undefined) {
          violations.push(`${label}: request body ${type} is not in the document`);
        } else {
          violations.push(...checkMedia(`${label} request`, media, type, exchange.request.body));
        }
      }
      const responses = found.operation.responses ?? {};
      const status = String(exchange.status);
      const response =
        responses[status] ?? responses[`${status[0]}XX`] ?? responses.default ?? undefined;
      if (response === undefined) {
        return [...violations, `${label}: status ${status} is not in the document`];
      }
      const type = mediaType(exchange.contentType);
      const media = response.content?.[type];
      if (media === undefined) {
        return [...violations, `${label}: response ${type} is not in the document`];
      }
      return [...violations, ...checkMedia(`${label} response`, media, type, exchange.body)];
    },
  };
}

function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

function isJsonl(type: string): boolean {
  return type === 'application/jsonl' || type === 'application/x-ndjson';
}

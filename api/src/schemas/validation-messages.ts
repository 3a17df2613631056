import type { FastifySchemaValidationError } from 'fastify';
import type { ErrorDetail } from '../api-error.ts';

/**
 * Turns schema errors (TypeBox's, in Ajv's shape) into details that name the field, e.g.
 * `body/params/temperature must be <= 5`, `body/zz is not a known field`,
 * `body/prompt must not be empty`. `part` is the request part: body, querystring, params,
 * headers.
 */
export function describeSchemaErrors(
  errors: readonly FastifySchemaValidationError[],
  part: string,
): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const pathsWithSpecificErrors = new Set(
    errors.filter((e) => !isUnionNoise(e)).map((e) => e.instancePath),
  );
  for (const error of errors) {
    const path = `${part}${error.instancePath}`;
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
      // `additionalProperties: false` yields one "schema is false" per extra field as
      // well as this summary; the summary is the one with the names.
      case 'boolean':
        break;
      case 'additionalProperties':
        for (const name of asStrings(params.additionalProperties)) {
          details.push({ field: `${path}/${name}`, message: 'is not a known field' });
        }
        break;
      case 'required':
        for (const name of asStrings(params.requiredProperties ?? params.missingProperty)) {
          details.push({ field: `${path}/${name}`, message: 'is required' });
        }
        break;
      case 'minLength':
        details.push({
          field: path,
          message: params.limit === 1 ? 'must not be empty' : (error.message ?? 'is invalid'),
        });
        break;
      case 'pattern':
        details.push({
          field: path,
          message: patternMessages[String(params.pattern)] ?? 'has an invalid format',
        });
        break;
      default:
        // For a nullable field (anyOf [T, null]) the branch errors say what is wrong; the
        // "must be null" and "must match a schema in anyOf" lines only add noise.
        if (isUnionNoise(error) && pathsWithSpecificErrors.has(error.instancePath)) {
          break;
        }
        details.push({ field: path, message: error.message ?? 'is invalid' });
    }
  }
  return dedupe(details);
}

export function detailsToMessage(details: readonly ErrorDetail[]): string {
  return details.map((d) => `${d.field} ${d.message}`).join('; ');
}

/** Friendly words for the patterns our schemas use (see common-schemas.ts). */
const patternMessages: Record<string, string> = {};

export function registerPatternMessage(pattern: string, message: string): string {
  patternMessages[pattern] = message;
  return pattern;
}

function isUnionNoise(error: FastifySchemaValidationError): boolean {
  return (
    error.keyword === 'anyOf' ||
    (error.keyword === 'type' && (error.params as { type?: unknown }).type === 'null')
  );
}

function asStrings(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.map(String);
  }
  return value === undefined ? [] : [String(value)];
}

function dedupe(details: ErrorDetail[]): ErrorDetail[] {
  const seen = new Set<string>();
  return details.filter((d) => {
    const key = `${d.field}\u0000${d.message}`;
    if (seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}

import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from 'typebox';

/** A decimal integer as a query string or header carries it: digits, an optional minus. */
const integerText = /^-?[0-9]+$/;

/**
 * TypeBox's compiler, except that a string bound for an `integer` field of the query
 * string, path or headers must be written as a decimal integer. TypeBox's Value.Convert
 * turns `1.5`, `0x3`, `1e1` and the empty string into numbers first, so `?wait=1.5`
 * passed although the document says integer; the body (JSON) is typed already and is
 * left to the schema as is.
 */
export const strictValidatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  const validate = TypeBoxValidatorCompiler(route);
  if (route.httpPart === 'body') {
    return validate;
  }
  const integerFields = integerPropertiesOf(route.schema);
  if (integerFields.length === 0) {
    return validate;
  }
  return (value) => {
    const errors: FastifySchemaValidationError[] = [];
    const record = (value ?? {}) as Record<string, unknown>;
    for (const name of integerFields) {
      const raw = record[name];
      if (typeof raw === 'string' && !integerText.test(raw)) {
        errors.push({
          keyword: 'type',
          instancePath: `/${name}`,
          schemaPath: `#/properties/${name}/type`,
          params: { type: 'integer' },
          message: 'must be integer (decimal digits only)',
        });
      }
    }
    return errors.length > 0 ? { error: errors } : validate(value);
  };
};

function integerPropertiesOf(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties;
  if (properties === undefined) {
    return [];
  }
  return Object.entries(properties)
    .filter(([, property]) => property.type === 'integer')
    .map(([name]) => name);
}

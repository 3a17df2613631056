import { isStringLiteral, splitTemplate, topLevelIndexes } from './expression-scanner.ts';
import { isBody, type TerraformConfig } from './terraform-config.ts';

/**
 * A value Terraform would only know at apply time (a resource's computed attribute, or an
 * expression outside the subset below). Rendered into strings as `unknownText`.
 */
export class Unknown {
  readonly expression: string;
  constructor(expression: string) {
    this.expression = expression;
  }
}

/** Stands in for unknown values inside strings: a lowercase identifier most formats accept. */
export const unknownText = 'unknown-value';

export interface ResolveContext {
  readonly config: TerraformConfig;
  /** Variable values: defaults, overridden like `-var` (see variableValues). */
  readonly variables: Readonly<Record<string, unknown>>;
}

/** Each variable's default, overridden by `overrides`; a variable without either is Unknown. */
export function variableValues(
  config: TerraformConfig,
  overrides: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, body] of config.variables) {
    values[name] =
      name in overrides
        ? overrides[name]
        : 'default' in body
          ? body.default
          : new Unknown(`var.${name}`);
  }
  return values;
}

/**
 * Evaluates a configuration value the way a plan with the given variables would, for the
 * subset of Terraform the deployment's environment and names use: literals, templates,
 * var.X, local.X (with attribute access), a resource's own string arguments
 * (google_pubsub_topic.jobs.name), `c ? a : b`, `!x`, and tostring / coalesce / max / min.
 * Anything else becomes Unknown instead of a guess.
 */
export function resolveValue(value: unknown, context: ResolveContext): unknown {
  if (typeof value === 'string') {
    return resolveTemplate(value, context);
  }
  if (Array.isArray(value)) {
    return value.map((item) => resolveValue(item, context));
  }
  if (isBody(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveValue(item, context)]),
    );
  }
  return value;
}

/** A resolved value as the string Terraform would put in a string attribute. */
export function renderString(value: unknown): string {
  if (value instanceof Unknown) {
    return unknownText;
  }
  if (value === null || value === undefined) {
    return '';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function resolveTemplate(template: string, context: ResolveContext): unknown {
  // Template directives (%{if}, %{for}) are outside the subset.
  if (/(^|[^%])%\{/.test(template)) {
    return new Unknown(template);
  }
  const parts = splitTemplate(template);
  const [only] = parts;
  // "${expr}" alone keeps the expression's own type (a map stays a map, a number a number).
  if (parts.length === 1 && only !== undefined && 'expression' in only) {
    return evaluate(only.expression, context);
  }
  return parts
    .map((part) => ('text' in part ? part.text : renderString(evaluate(part.expression, context))))
    .join('');
}

const functions: Record<string, (args: unknown[]) => unknown> = {
  tostring: ([value]) => (value instanceof Unknown ? value : renderString(value)),
  coalesce: (args) => args.find((arg) => arg !== null && arg !== undefined && arg !== ''),
  max: (args) =>
    args.some((arg) => arg instanceof Unknown) ? args[0] : Math.max(...args.map(Number)),
  min: (args) =>
    args.some((arg) => arg instanceof Unknown) ? args[0] : Math.min(...args.map(Number)),
};

function evaluate(source: string, context: ResolveContext): unknown {
  const expression = source.trim();
  const questions = topLevelIndexes(expression, '?');
  const [question] = questions;
  if (question !== undefined) {
    const colon = topLevelIndexes(expression, ':').find((index) => index > question);
    if (colon !== undefined) {
      const condition = evaluate(expression.slice(0, question), context);
      if (condition instanceof Unknown) {
        return condition;
      }
      return evaluate(
        condition ? expression.slice(question + 1, colon) : expression.slice(colon + 1),
        context,
      );
    }
  }
  if (expression.startsWith('!')) {
    const operand = evaluate(expression.slice(1), context);
    return operand instanceof Unknown ? operand : !operand;
  }
  if (isStringLiteral(expression)) {
    return resolveTemplate(expression.slice(1, -1), context);
  }
  if (/^-?\d+(\.\d+)?$/.test(expression)) {
    return Number(expression);
  }
  if (expression === 'true' || expression === 'false') {
    return expression === 'true';
  }
  if (expression === 'null') {
    return null;
  }
  const call = /^([a-z_]+)\(([\s\S]*)\)$/.exec(expression);
  if (call) {
    const [, name = '', argumentText = ''] = call;
    const apply = functions[name];
    if (apply === undefined) {
      return new Unknown(expression);
    }
    return apply(splitArguments(argumentText).map((argument) => evaluate(argument, context)));
  }
  return evaluateReference(expression, context);
}

function splitArguments(text: string): string[] {
  const commas = topLevelIndexes(text, ',');
  const bounds = [-1, ...commas, text.length];
  return bounds
    .slice(1)
    .map((end, index) => text.slice((bounds[index] ?? -1) + 1, end).trim())
    .filter((argument) => argument !== '');
}

function evaluateReference(expression: string, context: ResolveContext): unknown {
  if (!/^[a-z_][\w-]*(\.[\w-]+)*$/i.test(expression)) {
    return new Unknown(expression);
  }
  const [root = '', first = '', ...rest] = expression.split('.');
  if (root === 'var') {
    return attributePath(
      first in context.variables ? context.variables[first] : new Unknown(expression),
      rest,
    );
  }
  if (root === 'local') {
    if (!(first in context.config.locals)) {
      return new Unknown(expression);
    }
    return attributePath(resolveValue(context.config.locals[first], context), rest);
  }
  // TYPE.NAME.ATTRIBUTE: a resource argument set in the configuration (its name, say);
  // computed attributes (id, email, uri) are not in the body and stay Unknown.
  const body = context.config.resources.get(root)?.get(first);
  const [attribute, ...deeper] = rest;
  if (body === undefined || attribute === undefined || !(attribute in body)) {
    return new Unknown(expression);
  }
  return attributePath(resolveValue(body[attribute], context), deeper);
}

function attributePath(value: unknown, path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current instanceof Unknown || !isBody(current) || !(key in current)) {
      return current instanceof Unknown ? current : new Unknown(path.join('.'));
    }
    current = current[key];
  }
  return current;
}

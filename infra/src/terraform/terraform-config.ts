/**
 * Terraform configuration as data, in the shape @cdktf/hcl2json gives it: a block body is
 * an object whose attributes are values (strings keep `${...}` interpolations verbatim) and
 * whose nested blocks are arrays of bodies. Expressions are not evaluated here; see
 * resolve-expression.ts for the small subset the checks need.
 */
export type HclBody = { readonly [key: string]: unknown };

export interface TerraformConfig {
  /** resource type -> resource name -> body, e.g. google_pubsub_topic -> jobs -> {...}. */
  readonly resources: ReadonlyMap<string, ReadonlyMap<string, HclBody>>;
  /** variable name -> body (type, default, description, validation). */
  readonly variables: ReadonlyMap<string, HclBody>;
  /** Every `locals` block merged (names are unique across a module). */
  readonly locals: Readonly<Record<string, unknown>>;
  readonly outputs: ReadonlyMap<string, HclBody>;
}

/** A plain object (a block body or an object value), not an array or a class instance. */
export function isBody(value: unknown): value is HclBody {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The nested blocks called `name` (an absent block is an empty list). */
export function blocks(body: HclBody, name: string): HclBody[] {
  const value = body[name];
  return Array.isArray(value) ? value.filter(isBody) : [];
}

/** The first nested block called `name`, if any. */
export function block(body: HclBody, name: string): HclBody | undefined {
  return blocks(body, name)[0];
}

export interface Resource {
  readonly type: string;
  readonly name: string;
  /** `type.name`, as Terraform addresses it. */
  readonly address: string;
  readonly body: HclBody;
}

export function resourcesOfType(config: TerraformConfig, type: string): Resource[] {
  const byName = config.resources.get(type);
  if (byName === undefined) {
    return [];
  }
  return [...byName].map(([name, body]) => ({ type, name, address: `${type}.${name}`, body }));
}

export function allResources(config: TerraformConfig): Resource[] {
  return [...config.resources.keys()].flatMap((type) => resourcesOfType(config, type));
}

export function findResource(config: TerraformConfig, address: string): Resource | undefined {
  const [type = '', name = ''] = address.split('.');
  const body = config.resources.get(type)?.get(name);
  return body === undefined ? undefined : { type, name, address: `${type}.${name}`, body };
}

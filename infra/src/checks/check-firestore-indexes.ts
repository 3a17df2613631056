import {
  type ResolveContext,
  renderString,
  resolveValue,
} from '../terraform/resolve-expression.ts';
import {
  block,
  blocks,
  type HclBody,
  isBody,
  resourcesOfType,
} from '../terraform/terraform-config.ts';
import type { Problem } from './problem.ts';

/**
 * The Firestore indexes and field overrides in the Terraform against the store adapter's
 * own list (infra/firestore-indexes.json, in the Firebase CLI's format): the same composite
 * indexes, the same TTL fields, the same single-field index overrides; nothing missing,
 * nothing extra. Collection names are compared as the plan resolves them (with
 * FIRESTORE_COLLECTION_PREFIX's default), and every index and field must be on the
 * configuration's own database.
 */
export function checkFirestoreIndexes(
  context: ResolveContext,
  indexFile: unknown,
  indexFileName: string,
): Problem[] {
  const problems: Problem[] = [];
  const report = (subject: string, message: string) =>
    problems.push({ check: 'firestore', subject, message });
  if (!isBody(indexFile)) {
    report(
      indexFileName,
      'is missing or not a JSON object: the Terraform cannot be compared with it',
    );
    return problems;
  }

  const wanted = new Map<string, string>();
  for (const index of arrayOf(indexFile.indexes)) {
    wanted.set(
      compositeKey(
        text(index.collectionGroup),
        text(index.queryScope, 'COLLECTION'),
        fieldsOf(arrayOf(index.fields)),
      ),
      'index',
    );
  }
  for (const override of arrayOf(indexFile.fieldOverrides)) {
    wanted.set(
      fieldKey(
        text(override.collectionGroup),
        text(override.fieldPath),
        override.ttl === true,
        Array.isArray(override.indexes)
          ? singleFieldIndexes(arrayOf(override.indexes))
          : 'inherited',
      ),
      'field override',
    );
  }

  const databases = new Set(
    resourcesOfType(context.config, 'google_firestore_database').map((r) => r.address),
  );
  const actual = new Map<string, string>();
  const resolve = (value: unknown) => renderString(resolveValue(value, context));
  for (const index of resourcesOfType(context.config, 'google_firestore_index')) {
    checkDatabase(index.body, index.address, databases, report);
    const fields = blocks(index.body, 'fields').map((field) => ({
      fieldPath: resolve(field.field_path),
      order: field.order === undefined ? undefined : resolve(field.order),
      arrayConfig: field.array_config === undefined ? undefined : resolve(field.array_config),
    }));
    actual.set(
      compositeKey(
        resolve(index.body.collection),
        resolve(index.body.query_scope ?? 'COLLECTION'),
        fieldsOf(fields),
      ),
      index.address,
    );
  }
  for (const field of resourcesOfType(context.config, 'google_firestore_field')) {
    checkDatabase(field.body, field.address, databases, report);
    const indexConfig = block(field.body, 'index_config');
    const indexes =
      indexConfig === undefined
        ? 'inherited'
        : singleFieldIndexes(
            blocks(indexConfig, 'indexes').map((index) => ({
              queryScope: index.query_scope === undefined ? undefined : resolve(index.query_scope),
              order: index.order === undefined ? undefined : resolve(index.order),
              arrayConfig:
                index.array_config === undefined ? undefined : resolve(index.array_config),
            })),
          );
    actual.set(
      fieldKey(
        resolve(field.body.collection),
        resolve(field.body.field),
        block(field.body, 'ttl_config') !== undefined,
        indexes,
      ),
      field.address,
    );
  }

  for (const [key, kind] of wanted) {
    if (!actual.has(key)) {
      report(indexFileName, `${kind} ${key} is not in the Terraform`);
    }
  }
  for (const [key, address] of actual) {
    if (!wanted.has(key)) {
      report(address, `${key} is not in ${indexFileName}`);
    }
  }
  return problems;
}

function checkDatabase(
  body: HclBody,
  address: string,
  databases: ReadonlySet<string>,
  report: (subject: string, message: string) => void,
): void {
  const reference = /^\$\{(google_firestore_database\.[\w-]+)\.name\}$/.exec(
    String(body.database ?? ''),
  )?.[1];
  if (reference === undefined || !databases.has(reference)) {
    report(
      address,
      `database ${String(body.database)} is not the configuration's google_firestore_database`,
    );
  }
}

interface FieldSpec {
  fieldPath?: unknown;
  order?: unknown;
  arrayConfig?: unknown;
  queryScope?: unknown;
}

function compositeKey(collection: string, scope: string, fields: string): string {
  return `composite index on ${collection} (${scope}): ${fields}`;
}

function fieldKey(collection: string, field: string, ttl: boolean, indexes: string): string {
  return `field ${collection}.${field} (ttl: ${ttl}, single-field indexes: ${indexes})`;
}

function fieldsOf(fields: readonly FieldSpec[]): string {
  return fields
    .map(
      (field) =>
        `${text(field.fieldPath)} ${field.arrayConfig === undefined ? text(field.order) : `array ${text(field.arrayConfig)}`}`,
    )
    .join(', ');
}

function singleFieldIndexes(indexes: readonly FieldSpec[]): string {
  const described = indexes
    .map(
      (index) =>
        `${text(index.queryScope, 'COLLECTION')} ${index.arrayConfig === undefined ? text(index.order) : `array ${text(index.arrayConfig)}`}`,
    )
    .sort();
  return described.length === 0 ? 'none' : described.join(' + ');
}

function arrayOf(value: unknown): HclBody[] {
  return Array.isArray(value) ? value.filter(isBody) : [];
}

function text(value: unknown, fallback = ''): string {
  return value === undefined || value === null ? fallback : String(value);
}

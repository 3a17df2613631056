import { isBody } from '../terraform/terraform-config.ts';
import type { Clause, FirestoreQuery } from './firestore-queries.ts';
import type { Problem } from './problem.ts';

export interface SourceFile {
  /** Repository-relative path. */
  readonly file: string;
  readonly text: string;
}

export interface FirestoreQueryInputs {
  readonly queries: readonly FirestoreQuery[];
  /** Every source file of the query folders (tests excluded). */
  readonly sources: readonly SourceFile[];
  /** infra/firestore-indexes.json, parsed. */
  readonly indexFile: unknown;
  readonly indexFileName: string;
}

/** What a query needs from Firestore's indexes. */
export type IndexNeed =
  | { readonly kind: 'single-field'; readonly fields: readonly string[] }
  | { readonly kind: 'composite'; readonly equality: readonly string[]; readonly order: Order[] };

interface Order {
  readonly field: string;
  readonly direction: 'ASCENDING' | 'DESCENDING';
}

interface Index {
  readonly collection: string;
  readonly fields: readonly { readonly field: string; readonly order: string }[];
}

const equalityOperators = new Set(['==', 'in', 'array-contains', 'array-contains-any']);

/**
 * The Firestore queries of the store adapters against the indexes:
 * - the where/orderBy calls in the source are exactly the ones firestore-queries.ts lists,
 *   file by file (a query added or changed without being listed is reported);
 * - every query that filters or orders on more than one field, with an order or a range,
 *   has a composite index in the index file that serves it (equality fields first, in any
 *   order, then the order fields with their directions, as Firestore requires);
 * - a query no composite index serves does not use a field whose single-field indexes are
 *   exempted (Firestore merges single-field indexes for equality-only queries);
 * - every composite index serves some query (an unused one costs a write per document).
 */
export function checkFirestoreQueries(inputs: FirestoreQueryInputs): Problem[] {
  const problems: Problem[] = [];
  const report = (subject: string, message: string) =>
    problems.push({ check: 'firestore-queries', subject, message });

  compareCalls(inputs, report);

  const indexFile = isBody(inputs.indexFile) ? inputs.indexFile : {};
  const indexes = listOf(indexFile.indexes).map(indexOf);
  const exempted = new Set(
    listOf(indexFile.fieldOverrides)
      .filter((o) => Array.isArray(o.indexes) && o.indexes.length === 0)
      .map((o) => `${String(o.collectionGroup)}.${String(o.fieldPath)}`),
  );
  const used = new Set<Index>();
  for (const query of inputs.queries) {
    const need = indexNeed(query.clauses);
    const serving = indexes.filter(
      (index) => index.collection === query.collection && serves(index, need),
    );
    for (const index of serving) {
      used.add(index);
    }
    if (need.kind === 'composite' && serving.length === 0) {
      report(
        query.usedBy,
        `needs a composite index on ${query.collection} (${describeNeed(need)}), which ${inputs.indexFileName} does not have`,
      );
    }
    if (serving.length === 0) {
      const fields = need.kind === 'composite' ? [...need.equality] : need.fields;
      for (const field of fields.filter((f) => exempted.has(`${query.collection}.${f}`))) {
        report(
          query.usedBy,
          `queries ${query.collection}.${field}, whose single-field indexes ${inputs.indexFileName} exempts`,
        );
      }
    }
  }
  for (const index of indexes.filter((i) => !used.has(i))) {
    report(
      inputs.indexFileName,
      `the composite index on ${index.collection} (${index.fields.map((f) => `${f.field} ${f.order}`).join(', ')}) serves no listed query`,
    );
  }
  return problems;
}

/**
 * The index a query needs: one field (or equality filters only) is served by the automatic
 * single-field indexes; otherwise a composite index of the equality fields, then the order
 * (explicit orderBy, then range fields not ordered explicitly, ascending, as Firestore
 * orders them implicitly).
 */
export function indexNeed(clauses: readonly Clause[]): IndexNeed {
  const equality = new Set<string>();
  const ranges: string[] = [];
  const order: Order[] = [];
  for (const clause of clauses) {
    if ('where' in clause) {
      if (equalityOperators.has(clause.op)) {
        equality.add(clause.where);
      } else if (!ranges.includes(clause.where)) {
        ranges.push(clause.where);
      }
    } else if (!equality.has(clause.orderBy)) {
      order.push({
        field: clause.orderBy,
        direction: clause.direction === 'desc' ? 'DESCENDING' : 'ASCENDING',
      });
    }
  }
  for (const field of ranges) {
    if (!order.some((o) => o.field === field)) {
      order.push({ field, direction: 'ASCENDING' });
    }
  }
  const fields = [...new Set([...equality, ...order.map((o) => o.field)])];
  if (fields.length <= 1 || order.length === 0) {
    return { kind: 'single-field', fields };
  }
  return { kind: 'composite', equality: [...equality], order };
}

function serves(index: Index, need: IndexNeed): boolean {
  const [equality, order] =
    need.kind === 'composite' ? [need.equality, need.order] : [need.fields, [] as Order[]];
  if (index.fields.length !== equality.length + order.length) {
    return false;
  }
  const head = index.fields.slice(0, equality.length).map((f) => f.field);
  const tail = index.fields.slice(equality.length);
  return (
    equality.every((field) => head.includes(field)) &&
    order.every((o, i) => tail[i]?.field === o.field && tail[i]?.order === o.direction)
  );
}

function describeNeed(need: IndexNeed & { kind: 'composite' }): string {
  return [
    ...need.equality.map((field) => `${field} (equality)`),
    ...need.order.map((o) => `${o.field} ${o.direction}`),
  ].join(', ');
}

/** "where field op" / "orderBy field direction", as the source and the listing spell them. */
function callsOfSource(text: string): { calls: string[]; unreadable: number } {
  const calls: string[] = [];
  for (const match of text.matchAll(/\.where\(\s*'([^']+)'\s*,\s*'([^']+)'/g)) {
    calls.push(`where ${match[1]} ${match[2]}`);
  }
  for (const match of text.matchAll(/\.orderBy\(\s*'([^']+)'\s*(?:,\s*'(asc|desc)'\s*)?,?\s*\)/g)) {
    calls.push(`orderBy ${match[1]} ${match[2] ?? 'asc'}`);
  }
  const all = [...text.matchAll(/\.(where|orderBy)\(/g)].length;
  return { calls, unreadable: all - calls.length };
}

function callOfClause(clause: Clause): string {
  return 'where' in clause
    ? `where ${clause.where} ${clause.op}`
    : `orderBy ${clause.orderBy} ${clause.direction}`;
}

function compareCalls(
  inputs: FirestoreQueryInputs,
  report: (subject: string, message: string) => void,
): void {
  const listed = new Map<string, string[]>();
  for (const query of inputs.queries) {
    for (const clause of query.clauses) {
      const file = clause.file ?? query.file;
      listed.set(file, [...(listed.get(file) ?? []), callOfClause(clause)]);
    }
  }
  const inCode = new Map<string, string[]>();
  for (const source of inputs.sources) {
    const { calls, unreadable } = callsOfSource(source.text);
    inCode.set(source.file, calls);
    if (unreadable > 0) {
      report(
        source.file,
        `${unreadable} where/orderBy call(s) without a literal field (and operator): the index check cannot read them`,
      );
    }
  }
  for (const file of new Set([...listed.keys(), ...inCode.keys()])) {
    const remaining = [...(listed.get(file) ?? [])];
    for (const call of inCode.get(file) ?? []) {
      const at = remaining.indexOf(call);
      if (at === -1) {
        report(file, `\`${call}\` is not in firestore-queries.ts: list its query`);
      } else {
        remaining.splice(at, 1);
      }
    }
    for (const call of remaining) {
      report(file, `firestore-queries.ts lists \`${call}\`, which the code does not have`);
    }
  }
}

function indexOf(body: Readonly<Record<string, unknown>>): Index {
  return {
    collection: String(body.collectionGroup),
    fields: listOf(body.fields).map((f) => ({
      field: String(f.fieldPath),
      order: String(f.order ?? f.arrayConfig),
    })),
  };
}

function listOf(value: unknown): Readonly<Record<string, unknown>>[] {
  return Array.isArray(value) ? value.filter(isBody) : [];
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readRepoInputs } from '../repo-inputs.ts';
import { editedRepo, editedTerraform } from '../test-support/repo-fixtures.ts';
import { checkFirestoreQueries, indexNeed } from './check-firestore-queries.ts';
import { type FirestoreQuery, firestoreQueries } from './firestore-queries.ts';

const eventStore = 'shared/src/adapters/firestore/firestore-webhook-event-store.ts';

/** The check over this checkout, with repository edits, added files and other listings. */
async function problemsWith(
  options: {
    edits?: { file: string; from: string | RegExp; to: string }[];
    added?: Record<string, string>;
    queries?: readonly FirestoreQuery[];
    indexFile?: (file: { indexes: unknown[]; fieldOverrides: unknown[] }) => unknown;
  } = {},
) {
  const inputs = readRepoInputs(
    editedRepo(options.edits ?? [], options.added ?? {}),
    await editedTerraform(),
  );
  const indexFile = inputs.firestoreIndexes as { indexes: unknown[]; fieldOverrides: unknown[] };
  return checkFirestoreQueries({
    queries: options.queries ?? firestoreQueries,
    sources: inputs.firestoreQuerySources,
    indexFile: options.indexFile ? options.indexFile(structuredClone(indexFile)) : indexFile,
    indexFileName: 'indexes.json',
  }).map((p) => `${p.subject}: ${p.message}`);
}

type IndexEntry = { collectionGroup: string; fields: { fieldPath: string; order: string }[] };
const isIndex = (collection: string, fields: string) => (entry: unknown) => {
  const index = entry as IndexEntry;
  return (
    index.collectionGroup === collection &&
    index.fields.map((f) => `${f.fieldPath} ${f.order}`).join(', ') === fields
  );
};

describe('checkFirestoreQueries', () => {
  it("finds every query of the code listed and served by the repository's indexes", async () => {
    const inputs = readRepoInputs(editedRepo(), await editedTerraform());
    assert.ok(
      inputs.firestoreQuerySources.some((s) => s.file === eventStore),
      'the event store is among the scanned sources',
    );
    assert.deepEqual(await problemsWith(), []);
  });

  it('derives the index each query shape needs', () => {
    assert.deepEqual(indexNeed([{ where: 'id', op: '==' }]), {
      kind: 'single-field',
      fields: ['id'],
    });
    // Equality filters only: Firestore merges the single-field indexes.
    assert.deepEqual(
      indexNeed([
        { where: 'batchId', op: '==' },
        { where: 'status', op: 'in' },
      ]),
      { kind: 'single-field', fields: ['batchId', 'status'] },
    );
    assert.deepEqual(
      indexNeed([
        { where: 'batchId', op: '==' },
        { orderBy: 'finishedAtMs', direction: 'desc' },
      ]),
      {
        kind: 'composite',
        equality: ['batchId'],
        order: [{ field: 'finishedAtMs', direction: 'DESCENDING' }],
      },
    );
    // A range without orderBy is ordered by its field implicitly.
    assert.deepEqual(
      indexNeed([
        { where: 'state', op: '==' },
        { where: 'nextAttemptAtMs', op: '<=' },
      ]),
      {
        kind: 'composite',
        equality: ['state'],
        order: [{ field: 'nextAttemptAtMs', direction: 'ASCENDING' }],
      },
    );
  });

  it('reports a query whose composite index is missing, or has the wrong direction', async () => {
    const missing = await problemsWith({
      indexFile: (file) => ({
        ...file,
        indexes: file.indexes.filter(
          (i) => !isIndex('webhook_events', 'state ASCENDING, nextAttemptAtMs ASCENDING')(i),
        ),
      }),
    });
    assert.deepEqual(missing, [
      'FirestoreWebhookEventStore.listStale: needs a composite index on webhook_events (state (equality), nextAttemptAtMs ASCENDING), which indexes.json does not have',
    ]);

    const ascending = await problemsWith({
      indexFile: (file) => {
        const index = file.indexes.find(
          isIndex('jobs', 'batchId ASCENDING, finishedAtMs DESCENDING'),
        ) as IndexEntry;
        index.fields[1] = { fieldPath: 'finishedAtMs', order: 'ASCENDING' };
        return file;
      },
    });
    assert.deepEqual(ascending, [
      "FirestoreWebhookEventStore.recordBatchCompletions: the batch's last finish: needs a composite index on jobs (batchId (equality), finishedAtMs DESCENDING), which indexes.json does not have",
      'indexes.json: the composite index on jobs (batchId ASCENDING, finishedAtMs ASCENDING) serves no listed query',
    ]);
  });

  it('reports a query on a field whose single-field indexes are exempted', async () => {
    const problems = await problemsWith({
      indexFile: (file) => ({
        ...file,
        fieldOverrides: [
          ...file.fieldOverrides,
          { collectionGroup: 'webhook_events', fieldPath: 'id', indexes: [] },
        ],
      }),
    });
    assert.deepEqual(problems, [
      'FirestoreWebhookEventStore #refOf (an event by its id): queries webhook_events.id, whose single-field indexes indexes.json exempts',
    ]);
  });

  it('reports a query in the code that is not listed, and a listed one the code lost', async () => {
    const problems = await problemsWith({
      added: {
        'shared/src/adapters/firestore/new-query.ts':
          "export const q = (c: any) =>\n  c.where('owner', '==', 1).orderBy(\n    'createdAtMs',\n    'desc',\n  );\n",
      },
      edits: [
        {
          file: eventStore,
          from: ".where('dispatchedAtMs', '==', null)",
          to: ".where('dispatchedAtMs', '==', null).where('type', '==', 'x')",
        },
        { file: eventStore, from: ".orderBy('createdAtMs')", to: '' },
      ],
    });
    assert.deepEqual(problems, [
      `${eventStore}: \`where type ==\` is not in firestore-queries.ts: list its query`,
      `${eventStore}: firestore-queries.ts lists \`orderBy createdAtMs asc\`, which the code does not have`,
      'shared/src/adapters/firestore/new-query.ts: `where owner ==` is not in firestore-queries.ts: list its query',
      'shared/src/adapters/firestore/new-query.ts: `orderBy createdAtMs desc` is not in firestore-queries.ts: list its query',
    ]);
  });

  it('reports a where call it cannot read', async () => {
    const problems = await problemsWith({
      added: {
        'shared/src/webhooks/dynamic-query.ts':
          'export const q = (c: any, field: string) => c.where(field, "==", 1);\n',
      },
    });
    assert.deepEqual(problems, [
      'shared/src/webhooks/dynamic-query.ts: 1 where/orderBy call(s) without a literal field (and operator): the index check cannot read them',
    ]);
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { infraPaths } from '../repo-inputs.ts';
import { checkedPlans } from '../run-infra-checks.ts';
import { variableValues } from '../terraform/resolve-expression.ts';
import { type Edit, editedTerraform, repoRoot } from '../test-support/repo-fixtures.ts';
import { checkFirestoreIndexes } from './check-firestore-indexes.ts';

const indexFile = JSON.parse(readFileSync(join(repoRoot, infraPaths.firestoreIndexes), 'utf8'));

async function problemsWith(edits: Edit[], file: unknown) {
  const config = await editedTerraform(edits);
  const context = { config, variables: variableValues(config, checkedPlans[0]) };
  return checkFirestoreIndexes(context, file, 'indexes.json').map(
    (p) => `${p.subject}: ${p.message}`,
  );
}

describe('checkFirestoreIndexes', () => {
  it("matches the store adapter's index file", async () => {
    assert.ok(indexFile.indexes.length > 0 && indexFile.fieldOverrides.length > 0);
    assert.deepEqual(await problemsWith([], indexFile), []);
  });

  it('reports an index of the file that the Terraform lacks', async () => {
    const problems = await problemsWith(
      [
        {
          file: 'firestore.tf',
          from: /resource "google_firestore_index" "jobs_unpublished" \{[\s\S]*?\n\}\n/,
          to: '',
        },
      ],
      indexFile,
    );
    assert.deepEqual(problems, [
      'indexes.json: index composite index on jobs (COLLECTION): status ASCENDING, publishedAtMs ASCENDING, createdAtMs ASCENDING is not in the Terraform',
    ]);
  });

  it('reports an index that differs (field order or direction) as missing and extra', async () => {
    const problems = await problemsWith(
      [
        {
          file: 'firestore.tf',
          from: /(jobs_by_batch_and_custom_id" \{[\s\S]*?field_path = "customId"\n\s*order\s*= )"ASCENDING"/,
          to: '$1"DESCENDING"',
        },
      ],
      indexFile,
    );
    assert.deepEqual(problems, [
      'indexes.json: index composite index on jobs (COLLECTION): batchId ASCENDING, customId ASCENDING is not in the Terraform',
      'google_firestore_index.jobs_by_batch_and_custom_id: composite index on jobs (COLLECTION): batchId ASCENDING, customId DESCENDING is not in indexes.json',
    ]);
  });

  it('reports a TTL policy missing from the Terraform, and one the file does not have', async () => {
    const problems = await problemsWith(
      [
        {
          file: 'firestore.tf',
          from: /(batches_expire_at" \{[\s\S]*?)ttl_config \{\}\n/,
          to: '$1',
        },
      ],
      indexFile,
    );
    assert.deepEqual(problems, [
      'indexes.json: field override field batches.expireAt (ttl: true, single-field indexes: none) is not in the Terraform',
      'google_firestore_field.batches_expire_at: field batches.expireAt (ttl: false, single-field indexes: none) is not in indexes.json',
    ]);
    const extraTtl = {
      ...indexFile,
      fieldOverrides: indexFile.fieldOverrides.filter(
        (override: { collectionGroup: string; ttl?: boolean }) =>
          !(override.collectionGroup === 'jobs' && override.ttl),
      ),
    };
    assert.deepEqual(await problemsWith([], extraTtl), [
      'google_firestore_field.jobs_expire_at: field jobs.expireAt (ttl: true, single-field indexes: none) is not in indexes.json',
    ]);
  });

  it('reports an index on another database, and a missing index file', async () => {
    const problems = await problemsWith(
      [
        {
          file: 'firestore.tf',
          from: /(jobs_prompt" \{[\s\S]*?database\s*=) google_firestore_database\.this\.name/,
          to: '$1 "other"',
        },
      ],
      indexFile,
    );
    assert.deepEqual(problems, [
      "google_firestore_field.jobs_prompt: database other is not the configuration's google_firestore_database",
    ]);
    assert.deepEqual(await problemsWith([], undefined), [
      'indexes.json: is missing or not a JSON object: the Terraform cannot be compared with it',
    ]);
  });
});

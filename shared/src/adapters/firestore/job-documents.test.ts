import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newJobFixture } from '../../contract/job-fixtures.ts';
import { resolveGenerationParams } from '../../domain/generation-params.ts';
import { documentToJob, newJobDocument } from './job-documents.ts';

it('a job document written before a parameter existed reads back with its default', () => {
  const document = newJobDocument(newJobFixture({ params: resolveGenerationParams({ seed: 4 }) }));
  const { stop: _stop, ...olderParams } = document.params;
  const job = documentToJob({ ...document, params: olderParams });
  assert.deepEqual(job.params, resolveGenerationParams({ seed: 4 }));
});

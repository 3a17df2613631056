import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requiredTerraformVariables } from '../run-infra-checks.ts';
import { type Edit, editedTerraform } from '../test-support/repo-fixtures.ts';
import { checkVariables } from './check-variables.ts';

async function problemsWith(edits: Edit[]) {
  return checkVariables(await editedTerraform(edits), requiredTerraformVariables).map(
    (p) => `${p.subject}: ${p.message}`,
  );
}

describe('checkVariables', () => {
  it('accepts the repository: documented, typed, defaults for all but project_id, no hard-coded project', async () => {
    assert.deepEqual(await problemsWith([]), []);
  });

  it('reports an undocumented variable, one without a default, and a hard-coded project', async () => {
    const problems = await problemsWith([
      { file: 'variables.tf', from: /(variable "image_tag" \{\n)\s*description\s*=.*\n/, to: '$1' },
      {
        file: 'variables.tf',
        from: /(variable "log_level" \{[\s\S]*?)\n\s*default\s*=\s*"info"/,
        to: '$1',
      },
      {
        file: 'storage.tf',
        from: 'project                     = var.project_id',
        to: 'project = "my-project-123"',
      },
    ]);
    assert.deepEqual(problems, [
      'var.image_tag: has no description',
      'var.log_level: has no default (only the project id may be required)',
      'google_storage_bucket.models: project is my-project-123, not var.project_id',
    ]);
  });
});

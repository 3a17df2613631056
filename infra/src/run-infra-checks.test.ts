import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '@warmgen/shared/config/load-config.ts';
import { formatProblem } from './checks/problem.ts';
import { loadRepoInputs } from './repo-inputs.ts';
import { runInfraChecks } from './run-infra-checks.ts';
import { repoRoot } from './test-support/repo-fixtures.ts';

describe('the offline infra checks on this repository', () => {
  it('find no broken cross-reference between Terraform, loadConfig, IAM, Pub/Sub, images and Firestore', async () => {
    const inputs = await loadRepoInputs(repoRoot);
    assert.ok(inputs.firestoreIndexes !== undefined, 'infra/firestore-indexes.json exists');
    assert.deepEqual(runInfraChecks(inputs, loadConfig).map(formatProblem), []);
  });
});

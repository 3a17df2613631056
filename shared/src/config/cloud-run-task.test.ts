import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readCloudRunTask } from './cloud-run-task.ts';
import { ConfigError } from './config-error.ts';

function rejects(env: Record<string, string>, variable: string, pattern: RegExp) {
  assert.throws(
    () => readCloudRunTask(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.variable, variable);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('readCloudRunTask', () => {
  it('is null outside a Cloud Run Job (none of the variables set, or all blank)', () => {
    assert.equal(readCloudRunTask({}), null);
    assert.equal(readCloudRunTask({ CLOUD_RUN_TASK_INDEX: ' ', K_SERVICE: 'warmgen-api' }), null);
  });

  it('reads what a job execution sets on its tasks', () => {
    const task = readCloudRunTask({
      CLOUD_RUN_JOB: 'warmgen-drain',
      CLOUD_RUN_EXECUTION: 'warmgen-drain-7xq2m',
      CLOUD_RUN_TASK_INDEX: '0',
      CLOUD_RUN_TASK_COUNT: '3',
      CLOUD_RUN_TASK_ATTEMPT: '0',
    });
    assert.deepEqual(task, {
      job: 'warmgen-drain',
      execution: 'warmgen-drain-7xq2m',
      taskIndex: 0,
      taskCount: 3,
      taskAttempt: 0,
    });
    assert.ok(Object.isFrozen(task));
  });

  it('keeps the ones that are set when others are missing', () => {
    assert.deepEqual(readCloudRunTask({ CLOUD_RUN_TASK_INDEX: '5' }), {
      job: null,
      execution: null,
      taskIndex: 5,
      taskCount: null,
      taskAttempt: null,
    });
  });

  it('rejects malformed values, naming the variable', () => {
    rejects({ CLOUD_RUN_TASK_INDEX: 'one' }, 'CLOUD_RUN_TASK_INDEX', /integer from 0 to 9999/);
    rejects({ CLOUD_RUN_TASK_INDEX: '-1' }, 'CLOUD_RUN_TASK_INDEX', /integer/);
    rejects({ CLOUD_RUN_TASK_COUNT: '10001' }, 'CLOUD_RUN_TASK_COUNT', /0 to 10000/);
    rejects({ CLOUD_RUN_TASK_COUNT: '0' }, 'CLOUD_RUN_TASK_COUNT', /at least 1/);
    rejects({ CLOUD_RUN_TASK_ATTEMPT: '11' }, 'CLOUD_RUN_TASK_ATTEMPT', /0 to 10/);
    rejects(
      { CLOUD_RUN_TASK_INDEX: '3', CLOUD_RUN_TASK_COUNT: '3' },
      'CLOUD_RUN_TASK_INDEX',
      /\(3\) must be below CLOUD_RUN_TASK_COUNT \(3\)/,
    );
    rejects({ CLOUD_RUN_EXECUTION: 'Drain Job' }, 'CLOUD_RUN_EXECUTION', /resource name/);
    rejects({ CLOUD_RUN_JOB: '9lives' }, 'CLOUD_RUN_JOB', /got "9lives"/);
  });
});

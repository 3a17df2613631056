import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { readCloudRunTask } from '../config/cloud-run-task.ts';
import { cloudRunLogFields } from './cloud-run-log-fields.ts';
import { loggerOptions } from './logger-options.ts';

/** A logger built like the mains' one, writing its JSON lines into an array. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino(loggerOptions('info'), sink), lines };
}

describe('cloudRunLogFields', () => {
  it('adds nothing outside a Cloud Run Job', () => {
    assert.deepEqual(cloudRunLogFields(null), {});
  });

  it('puts the task identity on every line of a child logger, unset parts left out', () => {
    const task = readCloudRunTask({
      CLOUD_RUN_EXECUTION: 'warmgen-drain-abc12',
      CLOUD_RUN_TASK_INDEX: '1',
      CLOUD_RUN_TASK_COUNT: '2',
    });
    const { logger, lines } = capturingLogger();
    const child = logger.child({ component: 'worker', ...cloudRunLogFields(task) });
    child.info({ jobId: 'job_1' }, 'job succeeded');
    child.child({ component: 'webhooks' }).warn({}, 'nested');
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.deepEqual(line.cloudRun, {
        execution: 'warmgen-drain-abc12',
        taskIndex: 1,
        taskCount: 2,
      });
    }
    assert.equal(lines[0]?.message, 'job succeeded');
    assert.equal(lines[1]?.severity, 'WARNING');
  });
});

import type { Config } from '@warmgen/shared/config/load-config.ts';
import type { WorkerHeartbeats } from '@warmgen/shared/ports/worker-heartbeats.ts';
import { type HeartbeatDeps, type HeartbeatWriter, startHeartbeat } from './heartbeat-writer.ts';
import { loadedModelSha256 } from './model-sha256.ts';

/**
 * The heartbeat as both mains (worker, npm start) run it: started before the model is
 * hydrated, so GET /v1/capacity shows a worker from its first second, and told when the
 * engine is warm (the model's sha256 from its verified stamp, the engine's row slots).
 */
export function startConfiguredHeartbeat(
  config: Pick<Config, 'device' | 'modelDtype' | 'cloudRun' | 'durationsMs'>,
  heartbeats: WorkerHeartbeats,
  workerId: string,
  log: HeartbeatDeps['log'],
): HeartbeatWriter & { warmWith(model: { dir: string }, maxRows: number): Promise<void> } {
  const task = config.cloudRun;
  const writer = startHeartbeat({
    heartbeats,
    workerId,
    device: config.device,
    task:
      task?.execution === null || task?.execution === undefined
        ? null
        : `${task.execution}/${task.taskIndex ?? 0}`,
    log,
    tuning: {
      intervalMs: config.durationsMs.heartbeatMs,
      ttlMs: 4 * config.durationsMs.heartbeatMs,
    },
  });
  return {
    ...writer,
    async warmWith(model, maxRows) {
      writer.warm({
        modelSha256: await loadedModelSha256(model.dir, config.modelDtype, config.device),
        maxRows,
      });
    },
  };
}

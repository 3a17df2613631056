/**
 * The worker process on its own (Cloud Run worker pool, service or Job task): hydrate the
 * model once, load it once, then pull and generate until SIGTERM, or until the queue has
 * been idle for IDLE_EXIT_SECONDS in drain mode. Wires adapters from configuration only.
 */
import { openBackend } from '@warmgen/shared/adapters/open-backend.ts';
import { openStreamChannel } from '@warmgen/shared/adapters/open-stream-channel.ts';
import { loadConfigOrExit } from '@warmgen/shared/config/load-config-or-exit.ts';
import { newWorkerId } from '@warmgen/shared/domain/ids.ts';
import { installShutdownHandlers } from '@warmgen/shared/lifecycle/install-shutdown-handlers.ts';
import { cloudRunLogFields } from '@warmgen/shared/logging/cloud-run-log-fields.ts';
import { createLogger } from '@warmgen/shared/logging/create-logger.ts';
import { configuredWebhookPolicy } from '@warmgen/shared/webhooks/webhook-address-policy.ts';
import { Registry } from 'prom-client';
import { startConfiguredHeartbeat } from './heartbeat/start-configured-heartbeat.ts';
import { traceJobLines } from './job-trace/trace-job-lines.ts';
import { enterWorkerProcesses } from './liveness/release-dead-workers.ts';
import { loadModelOrExit } from './model-location/load-model-or-exit.ts';
import { createWorker } from './run-loop/create-worker.ts';
import { runLoopConfigOf } from './run-loop/run-loop-config-of.ts';
import { startDeliveryWorker } from './webhooks/start-delivery-worker.ts';

const config = loadConfigOrExit(process.env);
// A Cloud Run Job task's lines say which execution and task wrote them (CLOUD_RUN_*).
const log = createLogger(config.logLevel).child({
  component: 'worker',
  ...cloudRunLogFields(config.cloudRun),
});
const backend = await openBackend(config);
// Running rows' text goes to the API processes' streams; a worker only publishes.
const streamChannel = await openStreamChannel(config, { listen: false });
const registry = new Registry();
// Webhooks go out from every worker process, on their own loop (claims keep attempts single).
function startWebhooks() {
  if (config.webhooks.secrets.length === 0) {
    log.warn({}, 'webhooks are not delivered: WEBHOOK_SECRETS is not set');
    return null;
  }
  return startDeliveryWorker({
    backend,
    webhooks: config.webhooks,
    secrets: config.webhooks.secrets,
    policy: configuredWebhookPolicy(config.webhooks),
    logger: log.child({ component: 'webhooks' }),
    registry,
    shutdownGraceMs: config.durationsMs.shutdownGraceMs,
  });
}
const delivery = startWebhooks();

// The worker's record for GET /v1/capacity, from before hydration until it stops.
const workerId = newWorkerId();
const heartbeat = startConfiguredHeartbeat(config, backend.heartbeats, workerId, log);
// Embedded backend: a dead process's jobs on this host queue again now, not after their leases.
const leaveProcesses = await enterWorkerProcesses(backend, workerId, log);
const model = await loadModelOrExit(config, log, {
  onHydration: heartbeat.hydrating,
  onLoading: heartbeat.loading,
});
const { engine } = model;
// A job's lines carry the trace of the request that submitted it.
const traced = traceJobLines({ store: backend.store, logger: log }, config.gcp?.projectId ?? null);
const worker = createWorker({
  queue: backend.queue,
  store: traced.store,
  engine,
  logger: traced.logger,
  registry,
  workerId,
  config: runLoopConfigOf(config, engine.maxBatchSize, 'worker'),
  observer: heartbeat.observer,
  stream: { channel: streamChannel, intervalMs: config.streamIntervalMs },
});
await heartbeat.warmWith(model, engine.maxBatchSize);

// One shutdown, for the first reason: `worker.done` also resolves when a signal stopped
// the loop, and then the signal's shutdown is the one under way (and its reason stands).
const { shutdown } = installShutdownHandlers({
  logger: log,
  onShutdown: async (reason) => {
    await worker.stop();
    await leaveProcesses();
    await heartbeat.stop();
    await delivery?.stop();
    await engine.dispose();
    await streamChannel.close();
    await backend.close();
    log.info({ reason }, 'worker stopped');
    process.exit(0);
  },
});

worker.start();
log.info(
  { model: model.origin, backend: backend.description, mode: config.workerMode },
  'warmgen worker ready',
);
await worker.done;
await shutdown('queue idle (drain mode)');

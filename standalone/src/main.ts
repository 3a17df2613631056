/**
 * `npm start`: the API and a worker in one process (by default on the embedded SQLite queue
 * and store).
 * This file wires adapters from configuration and nothing else.
 */
import { buildApi } from '@warmgen/api/build-api.ts';
import { configuredApiDeps } from '@warmgen/api/configured-api-deps.ts';
import { openBackend } from '@warmgen/shared/adapters/open-backend.ts';
import { openStreamChannel } from '@warmgen/shared/adapters/open-stream-channel.ts';
import { loadConfigOrExit } from '@warmgen/shared/config/load-config-or-exit.ts';
import { newWorkerId } from '@warmgen/shared/domain/ids.ts';
import type { PromptTokens } from '@warmgen/shared/domain/prompt-length.ts';
import { installShutdownHandlers } from '@warmgen/shared/lifecycle/install-shutdown-handlers.ts';
import type { OrphanSweeper } from '@warmgen/shared/outbox/orphan-sweeper.ts';
import { startConfiguredOrphanSweeper } from '@warmgen/shared/outbox/start-configured-orphan-sweeper.ts';
import { loadPromptTokens } from '@warmgen/shared/tokenizer/load-prompt-tokens.ts';
import { startConfiguredHeartbeat } from '@warmgen/worker/heartbeat/start-configured-heartbeat.ts';
import { traceJobLines } from '@warmgen/worker/job-trace/trace-job-lines.ts';
import { enterWorkerProcesses } from '@warmgen/worker/liveness/release-dead-workers.ts';
import { loadModelOrExit } from '@warmgen/worker/model-location/load-model-or-exit.ts';
import { createWorker } from '@warmgen/worker/run-loop/create-worker.ts';
import { runLoopConfigOf } from '@warmgen/worker/run-loop/run-loop-config-of.ts';
import {
  type StartedDeliveryWorker,
  startDeliveryWorker,
} from '@warmgen/worker/webhooks/start-delivery-worker.ts';
import { Registry } from 'prom-client';
import { localSecurityDefaults } from './local-security-defaults.ts';

const config = loadConfigOrExit(process.env);
const backend = await openBackend(config);
const { store, queue } = backend;
// One channel for the API and the worker in this process (in-process when embedded).
const streamChannel = await openStreamChannel(config, { listen: true });
const registry = new Registry();
let ready = false;
// The model's prompt counter (the worker's own tokenizer instance), once the folder is local.
let promptTokens: PromptTokens | null = null;
const security = localSecurityDefaults(config);

const api = buildApi({
  ...configuredApiDeps(config, backend, streamChannel),
  queue,
  isReady: () => ready,
  registry,
  promptTokens: () => promptTokens,
  // GET /v1/capacity: the in-process worker's heartbeat; npm start has no launcher.
  capacity: {
    heartbeats: backend.heartbeats,
    scaling: () => ({ mode: config.scale.mode, launcher: null }),
  },
  webhookGuard: security.webhookGuard,
});
const log = api.log;
for (const notice of security.notices) {
  log.warn({ notice: true }, notice);
}

let worker: ReturnType<typeof createWorker> | undefined;
// The worker's record for GET /v1/capacity, from before hydration until it stops.
const workerId = newWorkerId();
const heartbeat = startConfiguredHeartbeat(
  config,
  backend.heartbeats,
  workerId,
  log.child({ component: 'worker' }),
);
// A predecessor on this DATA_DIR killed mid-batch: its jobs queue again now, not after their leases.
const leaveProcesses = await enterWorkerProcesses(
  backend,
  workerId,
  log.child({ component: 'worker' }),
);
let delivery: StartedDeliveryWorker | null = null;
let sweeper: OrphanSweeper | undefined;
installShutdownHandlers({
  logger: log,
  onShutdown: async () => {
    ready = false;
    await worker?.stop();
    await leaveProcesses();
    await heartbeat.stop();
    await delivery?.stop();
    await sweeper?.stop();
    await api.close();
    await streamChannel.close();
    await backend.close();
    log.info({}, 'stopped');
    process.exit(0);
  },
});

// Listen first: /healthz answers at once and /readyz says 503 until the model is warm.
await api.listen({ port: config.port, host: security.host });
// Jobs recorded but never queued (a publish that failed) are queued by this sweeper.
sweeper = startConfiguredOrphanSweeper(backend, config, log);
// Webhook delivery needs no model: it starts at once, apart from generation.
delivery = startDeliveryWorker({
  backend,
  webhooks: config.webhooks,
  secrets: security.webhookSecrets,
  policy: security.webhookGuard.policy,
  logger: log.child({ component: 'webhooks' }),
  registry,
  shutdownGraceMs: config.durationsMs.shutdownGraceMs,
});

const model = await loadModelOrExit(config, log, {
  onHydration: heartbeat.hydrating,
  onLoading: heartbeat.loading,
});
const { engine } = model;
promptTokens = await loadPromptTokens(model.dir);
const traced = traceJobLines(
  { store, logger: log.child({ component: 'worker' }) },
  config.gcp?.projectId ?? null,
);
worker = createWorker({
  queue,
  store: traced.store,
  engine,
  logger: traced.logger,
  registry,
  workerId,
  config: runLoopConfigOf(config, engine.maxBatchSize, 'standalone'),
  observer: heartbeat.observer,
  stream: { channel: streamChannel, intervalMs: config.streamIntervalMs },
});
await heartbeat.warmWith(model, engine.maxBatchSize);
worker.start();
ready = true;
log.info(
  {
    model: model.origin,
    modelDir: model.dir,
    backend: backend.description,
    host: security.host,
    port: config.port,
  },
  `warmgen ready on http://localhost:${config.port} (listening on ${security.host})`,
);

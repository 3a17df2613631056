/**
 * `npm start`: the API and a worker in one process, on the embedded SQLite queue and store.
 * This file wires adapters from configuration and nothing else.
 */
import { buildApi } from '@warmgen/api/build-api.ts';
import { embeddedDatabasePath } from '@warmgen/shared/adapters/sqlite/open-database.ts';
import { SqliteJobQueue } from '@warmgen/shared/adapters/sqlite/sqlite-job-queue.ts';
import { SqliteJobStore } from '@warmgen/shared/adapters/sqlite/sqlite-job-store.ts';
import { loadConfigOrExit } from '@warmgen/shared/config/load-config-or-exit.ts';
import { newWorkerId } from '@warmgen/shared/domain/ids.ts';
import { loggerOptions } from '@warmgen/shared/logging/logger-options.ts';
import { loadEngine } from '@warmgen/worker/engine/load-engine.ts';
import { resolveModelFolder } from '@warmgen/worker/model-location/resolve-model-folder.ts';
import { createWorker } from '@warmgen/worker/run-loop/create-worker.ts';
import { installShutdownHandlers } from '@warmgen/worker/shutdown/install-shutdown-handlers.ts';
import { Registry } from 'prom-client';

const config = loadConfigOrExit(process.env);
if (config.backend !== 'embedded') {
  process.stderr.write(
    'BACKEND must be "embedded" for npm start (one process on SQLite); ' +
      'run the API and worker mains for the Google Cloud backend (npm run dev:gcp).\n',
  );
  process.exit(2);
}

const databasePath = embeddedDatabasePath(config.dataDir);
const store = SqliteJobStore.open(databasePath);
const queue = SqliteJobQueue.open(databasePath, { maxAttempts: config.maxAttempts });
const registry = new Registry();
let ready = false;

const api = buildApi({
  store,
  queue,
  limits: config,
  isReady: () => ready,
  registry,
  logger: loggerOptions(config.logLevel),
});
const log = api.log;

let worker: ReturnType<typeof createWorker> | undefined;
installShutdownHandlers({
  logger: log,
  onShutdown: async () => {
    ready = false;
    await worker?.stop();
    await api.close();
    await queue.close();
    await store.close();
    log.info({}, 'stopped');
    process.exit(0);
  },
});

// Listen first: /healthz answers at once and /readyz says 503 until the model is warm.
await api.listen({ port: config.port, host: config.host });

const model = await resolveModelFolder(config.model, config.modelCacheDir, log);
const engine = await loadEngine({
  modelDir: model.dir,
  device: config.device,
  maxBatchSize: config.maxBatch,
});
worker = createWorker({
  queue,
  store,
  engine,
  logger: log.child({ component: 'worker' }),
  registry,
  workerId: newWorkerId(),
  config: {
    maxBatch: config.maxBatch,
    batchWindowMs: config.batchWindowMs,
    leaseMs: config.leaseSeconds * 1000,
    maxAttempts: config.maxAttempts,
    shutdownGraceMs: config.shutdownGraceSeconds * 1000,
  },
});
worker.start();
ready = true;
log.info(
  { model: model.origin, modelDir: model.dir, databasePath, port: config.port },
  `warmgen ready on http://localhost:${config.port}`,
);

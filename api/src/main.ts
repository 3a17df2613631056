/**
 * The API process on its own (Cloud Run service): validate, persist, enqueue, read.
 * Wires adapters from configuration and nothing else.
 */
import { deadlinedBackend } from '@warmgen/shared/adapters/deadlined-backend.ts';
import { openBackend } from '@warmgen/shared/adapters/open-backend.ts';
import { openStreamChannel } from '@warmgen/shared/adapters/open-stream-channel.ts';
import { allInterfaces } from '@warmgen/shared/config/config-defaults.ts';
import { loadConfigOrExit } from '@warmgen/shared/config/load-config-or-exit.ts';
import type { PromptTokens } from '@warmgen/shared/domain/prompt-length.ts';
import { installShutdownHandlers } from '@warmgen/shared/lifecycle/install-shutdown-handlers.ts';
import { startConfiguredOrphanSweeper } from '@warmgen/shared/outbox/start-configured-orphan-sweeper.ts';
import { systemResolver } from '@warmgen/shared/webhooks/system-resolver.ts';
import { configuredWebhookPolicy } from '@warmgen/shared/webhooks/webhook-address-policy.ts';
import { Registry } from 'prom-client';
import { buildApi } from './build-api.ts';
import { configuredApiDeps } from './configured-api-deps.ts';
import { configuredPromptTokens } from './configured-prompt-tokens.ts';
import type { Launcher } from './launcher/launcher.ts';
import { nudgingQueue } from './launcher/nudging-queue.ts';
import { startConfiguredLauncher } from './launcher/start-configured-launcher.ts';

const config = loadConfigOrExit(process.env);
// Under a deadline on gcp: a cut-off Firestore or Pub/Sub answers 503, not a hung request.
const opened = await openBackend(config);
const backend = config.gcp === null ? opened : deadlinedBackend(opened, config.gcp.callDeadlineMs);
// Workers' live output for the SSE streams: this process's own subscription on gcp.
const streamChannel = await openStreamChannel(config, { listen: true });
let ready = true;
// Accepted work nudges the launcher (SCALE_MODE=job|pool); set once the API's logger exists.
let launcher: Launcher | null = null;
// The model's prompt counter, set before the API listens (configured-prompt-tokens.ts).
let promptTokens: PromptTokens | null = null;
const api = buildApi({
  ...configuredApiDeps(config, backend, streamChannel),
  queue: nudgingQueue(backend.queue, () => launcher?.nudge()),
  isReady: () => ready,
  registry: new Registry(),
  promptTokens: () => promptTokens,
  // GET /v1/capacity: the workers' heartbeats and what the launcher is doing.
  capacity: {
    heartbeats: backend.heartbeats,
    scaling: () => ({ mode: config.scale.mode, launcher: launcher?.state() ?? null }),
  },
  // Strict unless the deployment allowlists hosts: no loopback default outside npm start.
  webhookGuard: {
    policy: configuredWebhookPolicy(config.webhooks),
    resolve: systemResolver,
  },
});
if (config.auth.mode === 'open') {
  api.log.warn({ notice: true }, 'API IS OPEN: AUTH_MODE=open, requests need no API key');
}

try {
  promptTokens = await configuredPromptTokens(config, api.log);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  api.log.fatal({ err: error }, `the model's tokenizer could not be loaded: ${message}`);
  process.exit(1);
}

// Jobs recorded but never queued (a publish that failed) are queued by this sweeper.
const sweeper = startConfiguredOrphanSweeper(backend, config, api.log);
const scaling = await startConfiguredLauncher(
  config,
  backend.store,
  api.log.child({ component: 'launcher' }),
);
launcher = scaling?.launcher ?? null;

installShutdownHandlers({
  logger: api.log,
  onShutdown: async () => {
    ready = false;
    await sweeper.stop();
    await scaling?.close();
    await api.close();
    await streamChannel.close();
    await backend.close();
    process.exit(0);
  },
});

await api.listen({ port: config.port, host: config.host ?? allInterfaces });
api.log.info(
  { backend: backend.description, port: config.port, scale: config.scale.mode },
  'warmgen API ready',
);

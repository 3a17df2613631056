import type { Backend } from '@warmgen/shared/adapters/open-backend.ts';
import type { Config } from '@warmgen/shared/config/load-config.ts';
import { loggerOptions } from '@warmgen/shared/logging/logger-options.ts';
import type { StreamChannel } from '@warmgen/shared/ports/stream-channel.ts';
import type { ApiDeps } from './build-api.ts';

/**
 * What every main that serves the API (the API alone, `npm start`) takes from its
 * configuration and backend, in one place so the two cannot drift: the store, the limits,
 * the logger, the trace field's project, keys, the OpenAI surface, webhook events, the
 * storage probe and live output (the main's stream channel, the stream settings). Each main adds only what is its own: the queue (the API main's nudges the
 * launcher), readiness, the metrics registry and the webhook URL guard.
 */
export function configuredApiDeps(
  config: Config,
  backend: Backend,
  streamChannel: Pick<StreamChannel, 'listenAll'>,
): Omit<ApiDeps, 'queue' | 'isReady' | 'registry' | 'webhookGuard'> {
  return {
    store: backend.store,
    limits: config,
    logger: loggerOptions(config.logLevel),
    // Request lines join their Cloud Trace; the field needs the project (BACKEND=gcp).
    traceProjectId: config.gcp?.projectId ?? null,
    // Keys are required unless AUTH_MODE=open was chosen explicitly (loadConfig enforces it).
    auth: config.auth,
    openai: config.openai,
    openaiStores: backend.openai,
    webhookEvents: backend.webhooks.events,
    ...(backend.probeWrites ? { storageProbe: backend.probeWrites } : {}),
    ...(backend.probeService
      ? { storageProbe: backend.probeService, storageProbeWhileHealthy: true }
      : {}),
    stream: {
      channel: streamChannel,
      maxStreamsPerKey: config.maxStreamsPerKey,
      keepAliveMs: config.streamKeepAliveMs,
    },
  };
}

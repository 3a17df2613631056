import { PubSub, v1 } from '@google-cloud/pubsub';

export interface PubSubConnection {
  projectId: string;
  /** host:port of the Pub/Sub emulator, or null for the real service. */
  emulatorHost: string | null;
}

/**
 * A Pub/Sub client with an explicit project (so the library never asks a metadata server
 * for one) and, for the emulator, an explicit endpoint with insecure channel credentials.
 * The endpoint is passed as an option rather than read from PUBSUB_EMULATOR_HOST here:
 * configuration is read once, by loadConfig.
 */
export function createPubSubClient(connection: PubSubConnection): PubSub {
  return new PubSub({
    projectId: connection.projectId,
    ...(connection.emulatorHost === null
      ? {}
      : { apiEndpoint: connection.emulatorHost, emulatorMode: true }),
  });
}

/**
 * The synchronous-pull client that talks to the same endpoint as `pubsub`. getClientConfig
 * carries the project and the emulator endpoint; a bare v1.SubscriberClient() would ignore
 * the emulator and call the real service.
 */
export async function createSubscriberClient(pubsub: PubSub): Promise<v1.SubscriberClient> {
  const config = await pubsub.getClientConfig();
  return new v1.SubscriberClient(config as ConstructorParameters<typeof v1.SubscriberClient>[0]);
}

import type { Config } from '../config/load-config.ts';
import type { StreamChannel } from '../ports/stream-channel.ts';
import { InProcessStreamChannel } from './in-process/in-process-stream-channel.ts';

/**
 * The live-output channel selected by BACKEND, for the mains. Embedded: a function call, so
 * it reaches listeners only in the same process (`npm start`, where API and worker share
 * one channel; an API and a worker as two processes on SQLite stream only the final
 * event). gcp: the Pub/Sub topic, with a subscription of its own when `listen` (an API
 * process); a worker only publishes. Against the emulator the topic is created here; in
 * production Terraform owns it.
 */
export async function openStreamChannel(
  config: Pick<Config, 'gcp'>,
  options: { listen: boolean },
): Promise<StreamChannel> {
  const gcp = config.gcp;
  if (gcp === null) {
    return new InProcessStreamChannel();
  }
  // Loaded only here, as in open-backend.ts: the client takes seconds to import.
  const [{ createPubSubClient }, { PubSubStreamChannel }] = await Promise.all([
    import('./pubsub/pubsub-client.ts'),
    import('./pubsub/pubsub-stream-channel.ts'),
  ]);
  const client = createPubSubClient({
    projectId: gcp.projectId,
    emulatorHost: gcp.pubsubEmulatorHost,
  });
  const names = {
    topic: gcp.pubsubStreamTopic,
    subscriptionPrefix: gcp.pubsubStreamSubscriptionPrefix,
  };
  try {
    if (gcp.pubsubEmulatorHost !== null) {
      await PubSubStreamChannel.ensureTopic(client, names);
    }
    const channel = await PubSubStreamChannel.open(client, names, options);
    return {
      publish: (chunk) => channel.publish(chunk),
      listen: (jobId, onChunk) => channel.listen(jobId, onChunk),
      listenAll: (onChunk) => channel.listenAll(onChunk),
      close: async () => {
        await channel.close();
        await client.close();
      },
    };
  } catch (error) {
    await client.close();
    throw error;
  }
}

import type { GcpConfig } from '../../config/gcp-config.ts';
import { createPubSubClient } from './pubsub-client.ts';
import { PubSubJobQueue } from './pubsub-job-queue.ts';

/**
 * The Pub/Sub job queue named by the configuration, for the mains. Against the emulator
 * (PUBSUB_EMULATOR_HOST set) nothing else creates the topics and subscriptions, so they
 * are created here; in production Terraform owns them and they are never touched.
 */
export async function openPubSubJobQueue(
  gcp: GcpConfig,
  options: { maxAttempts: number; leaseSeconds: number },
): Promise<PubSubJobQueue> {
  const client = createPubSubClient({
    projectId: gcp.projectId,
    emulatorHost: gcp.pubsubEmulatorHost,
  });
  const queue = await PubSubJobQueue.create(client, {
    topic: gcp.pubsubTopic,
    subscription: gcp.pubsubSubscription,
    deadLetterTopic: gcp.pubsubDeadLetterTopic,
    deadLetterSubscription: gcp.pubsubDeadLetterSubscription,
  });
  if (gcp.pubsubEmulatorHost !== null) {
    try {
      await queue.ensureTopology({
        maxAttempts: options.maxAttempts,
        ackDeadlineSeconds: options.leaseSeconds,
      });
    } catch (error) {
      await queue.close();
      throw error;
    }
  }
  return queue;
}

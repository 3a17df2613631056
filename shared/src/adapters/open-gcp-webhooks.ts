import type { Config } from '../config/load-config.ts';
import type { WebhookDeliveryQueue } from '../ports/webhook-delivery-queue.ts';
import type { WebhookEventStore } from '../ports/webhook-event-store.ts';
import { createFirestoreClient } from './firestore/firestore-client.ts';
import { FirestoreWebhookEventStore } from './firestore/firestore-webhook-event-store.ts';
import { createPubSubClient } from './pubsub/pubsub-client.ts';
import { PubSubWebhookDeliveryQueue } from './pubsub/pubsub-webhook-delivery-queue.ts';

/**
 * Webhook events on Firestore (beside the jobs, same collection prefix) and their delivery
 * queue on Pub/Sub. Against the emulator the topic and subscription are created here; in
 * production Terraform owns them.
 */
export async function openGcpWebhooks(
  config: Config,
): Promise<{ events: WebhookEventStore; queue: WebhookDeliveryQueue }> {
  const gcp = config.gcp;
  if (gcp === null) {
    throw new Error('openGcpWebhooks needs BACKEND=gcp');
  }
  const events = new FirestoreWebhookEventStore(
    createFirestoreClient({
      projectId: gcp.projectId,
      databaseId: gcp.firestoreDatabase,
      emulatorHost: gcp.firestoreEmulatorHost,
    }),
    { collectionPrefix: gcp.firestoreCollectionPrefix, retentionDays: gcp.retentionDays },
  );
  const queue = await PubSubWebhookDeliveryQueue.create(
    createPubSubClient({ projectId: gcp.projectId, emulatorHost: gcp.pubsubEmulatorHost }),
    { topic: config.webhooks.pubsubTopic, subscription: config.webhooks.pubsubSubscription },
  );
  if (gcp.pubsubEmulatorHost !== null) {
    await queue.ensureTopology();
  }
  return { events, queue };
}

import { createPubSubClient } from '@warmgen/shared/adapters/pubsub/pubsub-client.ts';
import { PubSubWebhookDeliveryQueue } from '@warmgen/shared/adapters/pubsub/pubsub-webhook-delivery-queue.ts';
import { describeWebhookDeliveryQueueContract } from '@warmgen/shared/contract/webhook-delivery-queue-contract.ts';
import { uniqueName, useGcpEmulators } from './emulators/gcp-emulators.ts';

/** The webhook delivery queue contract against the Pub/Sub emulator, in real time. */
const emulators = useGcpEmulators();

describeWebhookDeliveryQueueContract('PubSubWebhookDeliveryQueue (emulator)', async () => {
  const { projectId, pubsubHost } = await emulators();
  const queue = await PubSubWebhookDeliveryQueue.create(
    createPubSubClient({ projectId, emulatorHost: pubsubHost }),
    { topic: uniqueName('hooks'), subscription: uniqueName('hooks-sub') },
  );
  await queue.ensureTopology(10);
  return {
    queue,
    async cleanup() {
      await queue.deleteTopology();
      await queue.close();
    },
  };
});

import { describeWebhookDeliveryQueueContract } from '../../contract/webhook-delivery-queue-contract.ts';
import { SqliteWebhookDeliveryQueue } from './sqlite-webhook-delivery-queue.ts';
import { temporaryDatabasePath } from './test-database.ts';

describeWebhookDeliveryQueueContract('SqliteWebhookDeliveryQueue (real clock)', async () => {
  const tmp = temporaryDatabasePath();
  const queue = SqliteWebhookDeliveryQueue.open(tmp.path);
  return {
    queue,
    async cleanup() {
      await queue.close();
      tmp.remove();
    },
  };
});

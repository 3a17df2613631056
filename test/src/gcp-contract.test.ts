import { createFirestoreClient } from '@warmgen/shared/adapters/firestore/firestore-client.ts';
import { FirestoreJobStore } from '@warmgen/shared/adapters/firestore/firestore-job-store.ts';
import { createPubSubClient } from '@warmgen/shared/adapters/pubsub/pubsub-client.ts';
import { PubSubJobQueue } from '@warmgen/shared/adapters/pubsub/pubsub-job-queue.ts';
import { deleteTopology } from '@warmgen/shared/adapters/pubsub/pubsub-topology.ts';
import { describeJobQueueContract } from '@warmgen/shared/contract/job-queue-contract.ts';
import { describeJobStoreContract } from '@warmgen/shared/contract/job-store-contract.ts';
import { uniqueName, useGcpEmulators } from './emulators/gcp-emulators.ts';

/**
 * The JobQueue and JobStore contract suites against the Pub/Sub and Firestore emulators,
 * in real time (no injectable clock: leases run out on the emulator's own clock).
 */
const emulators = useGcpEmulators();

describeJobQueueContract(
  'PubSubJobQueue (emulator)',
  async ({ maxAttempts, deadLetterLeaseMs }) => {
    const { projectId, pubsubHost } = await emulators();
    const connection = { projectId, emulatorHost: pubsubHost };
    const names = {
      topic: uniqueName('jobs'),
      subscription: uniqueName('jobs-sub'),
      deadLetterTopic: uniqueName('dead'),
      deadLetterSubscription: uniqueName('dead-sub'),
    };
    const queue = await PubSubJobQueue.create(createPubSubClient(connection), {
      ...names,
      deadLetterLeaseMs,
    });
    await queue.ensureTopology({ maxAttempts, ackDeadlineSeconds: 10 });
    return {
      queue,
      depthUnknown: true,
      cleanup: async () => {
        await queue.close();
        const admin = createPubSubClient(connection);
        await deleteTopology(admin, names);
        await admin.close();
      },
    };
  },
);

describeJobStoreContract('FirestoreJobStore (emulator)', async () => {
  const { projectId, firestoreHost, resetFirestore } = await emulators();
  const db = createFirestoreClient({
    projectId,
    databaseId: '(default)',
    emulatorHost: firestoreHost,
  });
  const store = new FirestoreJobStore(db, {
    collectionPrefix: `${uniqueName('t')}-`,
    retentionDays: 30,
  });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await resetFirestore();
    },
  };
});

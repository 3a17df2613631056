import { createFirestoreClient } from '@warmgen/shared/adapters/firestore/firestore-client.ts';
import { FirestoreJobStore } from '@warmgen/shared/adapters/firestore/firestore-job-store.ts';
import { createPubSubClient } from '@warmgen/shared/adapters/pubsub/pubsub-client.ts';
import { PubSubJobQueue } from '@warmgen/shared/adapters/pubsub/pubsub-job-queue.ts';
import { deleteTopology } from '@warmgen/shared/adapters/pubsub/pubsub-topology.ts';
import { describeJobQueueContract } from '@warmgen/shared/contract/job-queue-contract.ts';
import { describeJobStoreContract } from '@warmgen/shared/contract/job-store-contract.ts';
import { describeOrphanRecoveryContract } from '@warmgen/shared/contract/orphan-recovery-contract.ts';
import { type GcpEmulators, uniqueName, useGcpEmulators } from './emulators/gcp-emulators.ts';

/**
 * The JobQueue and JobStore contract suites, and the orphan-recovery scenario, against the
 * Pub/Sub and Firestore emulators, in real time (no injectable clock: leases run out on
 * the emulator's own clock). One emulator pair serves the whole file.
 */
const emulators = useGcpEmulators();

/** A queue on fresh topics and subscriptions; cleanup deletes them. */
async function makeQueue(
  { projectId, pubsubHost }: GcpEmulators,
  options: { maxAttempts: number; deadLetterLeaseMs?: number },
) {
  const connection = { projectId, emulatorHost: pubsubHost };
  const names = {
    topic: uniqueName('jobs'),
    subscription: uniqueName('jobs-sub'),
    deadLetterTopic: uniqueName('dead'),
    deadLetterSubscription: uniqueName('dead-sub'),
  };
  const queue = await PubSubJobQueue.create(createPubSubClient(connection), {
    ...names,
    deadLetterLeaseMs: options.deadLetterLeaseMs,
  });
  await queue.ensureTopology({ maxAttempts: options.maxAttempts, ackDeadlineSeconds: 10 });
  const cleanup = async () => {
    await queue.close();
    const admin = createPubSubClient(connection);
    await deleteTopology(admin, names);
    await admin.close();
  };
  return { queue, cleanup };
}

/** A store on collections no other test uses; cleanup empties the emulator. */
function makeStore({ projectId, firestoreHost, resetFirestore }: GcpEmulators) {
  const db = createFirestoreClient({
    projectId,
    databaseId: '(default)',
    emulatorHost: firestoreHost,
  });
  const store = new FirestoreJobStore(db, {
    collectionPrefix: `${uniqueName('t')}-`,
    retentionDays: 30,
  });
  const cleanup = async () => {
    await store.close();
    await resetFirestore();
  };
  return { store, cleanup };
}

describeJobQueueContract('PubSubJobQueue (emulator)', async (options) => {
  const { queue, cleanup } = await makeQueue(await emulators(), options);
  return { queue, depthUnknown: true, cleanup };
});

describeJobStoreContract('FirestoreJobStore (emulator)', async () => makeStore(await emulators()));

describeOrphanRecoveryContract('Pub/Sub + Firestore (emulators)', async () => {
  const running = await emulators();
  const { queue, cleanup: cleanupQueue } = await makeQueue(running, { maxAttempts: 5 });
  const { store, cleanup: cleanupStore } = makeStore(running);
  return {
    store,
    queue,
    cleanup: async () => {
      await cleanupQueue();
      await cleanupStore();
    },
  };
});

import { createFirestoreClient } from '@warmgen/shared/adapters/firestore/firestore-client.ts';
import { FirestoreJobStore } from '@warmgen/shared/adapters/firestore/firestore-job-store.ts';
import { FirestoreWebhookEventStore } from '@warmgen/shared/adapters/firestore/firestore-webhook-event-store.ts';
import { describeWebhookEventStoreContract } from '@warmgen/shared/contract/webhook-event-store-contract.ts';
import { uniqueName, useGcpEmulators } from './emulators/gcp-emulators.ts';

/**
 * The WebhookEventStore contract on the Firestore emulator: the job store's terminal
 * transitions create the events (the outbox), the event store moves them along.
 */
const emulators = useGcpEmulators();
let cleanup: (() => Promise<void>) | null = null;

describeWebhookEventStoreContract('FirestoreWebhookEventStore (emulator)', {
  async open() {
    const { projectId, firestoreHost, resetFirestore } = await emulators();
    const connection = { projectId, databaseId: '(default)', emulatorHost: firestoreHost };
    const options = { collectionPrefix: `${uniqueName('w')}-`, retentionDays: 30 };
    const jobs = new FirestoreJobStore(createFirestoreClient(connection), options);
    const events = new FirestoreWebhookEventStore(createFirestoreClient(connection), options);
    cleanup = async () => {
      await jobs.close();
      await events.close();
      await resetFirestore();
    };
    return { jobs, events };
  },
  async close() {
    await cleanup?.();
    cleanup = null;
  },
});

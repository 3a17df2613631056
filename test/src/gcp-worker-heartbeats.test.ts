import type { Firestore } from '@google-cloud/firestore';
import { createFirestoreClient } from '@warmgen/shared/adapters/firestore/firestore-client.ts';
import { FirestoreWorkerHeartbeats } from '@warmgen/shared/adapters/firestore/firestore-worker-heartbeats.ts';
import { describeWorkerHeartbeatsContract } from '@warmgen/shared/contract/worker-heartbeats-contract.ts';
import { uniqueName, useGcpEmulators } from './emulators/gcp-emulators.ts';

/** Worker heartbeats on the Firestore emulator: a worker's client and an API's client. */
const emulators = useGcpEmulators();
let clients: Firestore[] = [];

describeWorkerHeartbeatsContract('FirestoreWorkerHeartbeats (emulator)', {
  async open() {
    const { projectId, firestoreHost } = await emulators();
    const connection = { projectId, databaseId: '(default)', emulatorHost: firestoreHost };
    const prefix = `${uniqueName('h')}-`;
    clients = [createFirestoreClient(connection), createFirestoreClient(connection)];
    const [a, b] = clients as [Firestore, Firestore];
    return [
      new FirestoreWorkerHeartbeats(a, prefix, { ownsClient: false }),
      new FirestoreWorkerHeartbeats(b, prefix, { ownsClient: false }),
    ];
  },
  async close() {
    await Promise.all(clients.map((client) => client.terminate()));
    clients = [];
  },
});

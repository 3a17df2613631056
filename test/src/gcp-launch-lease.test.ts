import type { Firestore } from '@google-cloud/firestore';
import { createFirestoreClient } from '@warmgen/shared/adapters/firestore/firestore-client.ts';
import { FirestoreLaunchLease } from '@warmgen/shared/adapters/firestore/firestore-launch-lease.ts';
import { describeLaunchLeaseContract } from '@warmgen/shared/contract/launch-lease-contract.ts';
import { uniqueName, useGcpEmulators } from './emulators/gcp-emulators.ts';

/** The launch lease on the Firestore emulator, two clients standing for two API processes. */
const emulators = useGcpEmulators();
let clients: Firestore[] = [];

describeLaunchLeaseContract('FirestoreLaunchLease (emulator)', {
  async open() {
    const { projectId, firestoreHost } = await emulators();
    const connection = { projectId, databaseId: '(default)', emulatorHost: firestoreHost };
    const prefix = `${uniqueName('l')}-`;
    clients = [createFirestoreClient(connection), createFirestoreClient(connection)];
    const [a, b] = clients as [Firestore, Firestore];
    return [new FirestoreLaunchLease(a, prefix), new FirestoreLaunchLease(b, prefix)];
  },
  async close() {
    await Promise.all(clients.map((client) => client.terminate()));
    clients = [];
  },
});

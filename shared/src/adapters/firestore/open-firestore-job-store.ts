import type { GcpConfig } from '../../config/gcp-config.ts';
import { createFirestoreClient } from './firestore-client.ts';
import { FirestoreJobStore } from './firestore-job-store.ts';

/** The Firestore job store named by the configuration, for the mains. */
export function openFirestoreJobStore(gcp: GcpConfig): FirestoreJobStore {
  const db = createFirestoreClient({
    projectId: gcp.projectId,
    databaseId: gcp.firestoreDatabase,
    emulatorHost: gcp.firestoreEmulatorHost,
  });
  return new FirestoreJobStore(db, {
    collectionPrefix: gcp.firestoreCollectionPrefix,
    retentionDays: gcp.retentionDays,
  });
}

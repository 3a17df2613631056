import type { Config } from '../config/load-config.ts';
import type { OpenAiStores } from '../ports/openai-batch-store.ts';
import { createFirestoreClient } from './firestore/firestore-client.ts';
import { FirestoreOpenAiBatchStore } from './firestore/firestore-openai-batch-store.ts';
import { GcsFileStore } from './gcs/gcs-file-store.ts';

/**
 * Files in the Cloud Storage folder OPENAI_FILES_URI names and OpenAI batch records on
 * Firestore beside the jobs. Null without OPENAI_FILES_URI: Files and Batches then answer
 * 503 (Completions and Models need neither).
 */
export function openGcpOpenAiStores(config: Config): OpenAiStores | null {
  const gcp = config.gcp;
  const location = config.openai.filesLocation;
  if (gcp === null || location === null) {
    return null;
  }
  return {
    files: new GcsFileStore({
      bucket: location.bucket,
      prefix: location.prefix,
      projectId: gcp.projectId,
      ...(config.storageApiEndpoint ? { apiEndpoint: config.storageApiEndpoint } : {}),
    }),
    batches: new FirestoreOpenAiBatchStore(
      createFirestoreClient({
        projectId: gcp.projectId,
        databaseId: gcp.firestoreDatabase,
        emulatorHost: gcp.firestoreEmulatorHost,
      }),
      { collectionPrefix: gcp.firestoreCollectionPrefix },
    ),
  };
}

import { Storage } from '@google-cloud/storage';
import { GcsModelSource } from '@warmgen/shared/adapters/gcs/gcs-model-source.ts';
import { hydrateModel } from '@warmgen/shared/hydration/hydrate-model.ts';

/**
 * One worker process's hydration, for the multi-process tests: argv[2] is JSON
 * {url, bucket, prefix, cacheDir, chunkBytes}; prints the HydrationResult as JSON on stdout.
 */
const args = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  bucket: string;
  prefix: string;
  cacheDir: string;
  chunkBytes: number;
};
const storage = new Storage({ apiEndpoint: args.url, projectId: 'test-project' });
const result = await hydrateModel({
  source: new GcsModelSource({ bucket: args.bucket, prefix: args.prefix, storage }),
  cacheDir: args.cacheDir,
  chunkBytes: args.chunkBytes,
  lockStaleMs: 5000,
  logger: { info: () => {}, warn: () => {} },
});
process.stdout.write(`${JSON.stringify(result)}\n`);

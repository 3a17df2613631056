import { parseArgs } from 'node:util';
import { startGcsTestServer } from './gcs-test-server.ts';

/**
 * Runs the GCS test server as its own process (benchmarks measure the client's memory
 * without the server's). Optionally seeds gs://BUCKET/PREFIX from a local folder, by
 * reference (bytes are read from disk per request). Prints one JSON line
 * `{"url": ..., "objects": n, "bytes": n}` when ready; stops on SIGTERM, SIGINT or when
 * stdin closes (so it dies with its parent).
 */
const { values } = parseArgs({
  options: {
    bucket: { type: 'string' },
    prefix: { type: 'string', default: '' },
    folder: { type: 'string' },
    port: { type: 'string', default: '0' },
  },
});

const server = await startGcsTestServer({ port: Number(values.port) });
let objects = 0;
let bytes = 0;
if (values.bucket && values.folder) {
  for (const object of await server.store.putFolder(values.bucket, values.prefix, values.folder)) {
    objects += 1;
    bytes += object.size;
  }
}
process.stdout.write(`${JSON.stringify({ url: server.url, objects, bytes })}\n`);

let stopping = false;
const stop = () => {
  if (!stopping) {
    stopping = true;
    void server.close().then(() => process.exit(0));
  }
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();

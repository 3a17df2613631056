import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GcsModelDestination } from '@warmgen/shared/adapters/gcs/gcs-model-destination.ts';
import { parseGsUri } from '@warmgen/shared/adapters/gcs/parse-gs-uri.ts';
import { checkModelFolder } from '../engine/model-folder.ts';
import { ensureDecodeGraph } from '../model-builder/decode-graph-file.ts';
import { pushModel } from './push-model.ts';

const usage = `Usage: npm run model:push -- DIR gs://BUCKET/PREFIX [options]

Uploads a local model folder (e.g. one written by model:build) to Cloud Storage, where
workers hydrate it from MODEL_URI=gs://BUCKET/PREFIX. The folder is checked first and gets
warmgen's decode graph (onnx/warmgen-decode.onnx) if it has none, so workers need not
write it at start-up. Unchanged files (same size and
CRC32C) are skipped, so workers re-download only what changed. Uploads are resumable,
checked by CRC32C on the server, and conditional on the generation seen.
Workers that start while a push runs may see a mix of old and new files: push a new
model to a new prefix (gs://bucket/gpt2/v2) and point MODEL_URI at it for an atomic switch.

Options:
  --endpoint URL      Cloud Storage JSON API endpoint (a test server); default the real service
  --project ID        Google Cloud project id (default: from the environment's credentials)
  --concurrency N     parallel uploads (default 4)
  --delete            delete objects under the prefix that the folder does not have
  -h, --help          show this help
`;

function fail(message: string): never {
  process.stderr.write(`model push: ${message}\n\n${usage}`);
  process.exit(2);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      endpoint: { type: 'string' },
      project: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      delete: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}
try {
  parsed = parse();
} catch (error) {
  fail((error as Error).message);
}
const { values, positionals } = parsed;
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}
const [dir, uri] = positionals;
if (!dir || !uri || positionals.length > 2) {
  fail('expected a folder and a gs://bucket/prefix');
}
const concurrency = Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  fail(`--concurrency must be a positive integer, got "${values.concurrency}"`);
}
let target: { bucket: string; prefix: string };
try {
  target = parseGsUri(uri);
} catch (error) {
  fail((error as Error).message);
}

const destination = new GcsModelDestination({
  ...target,
  ...(values.endpoint ? { apiEndpoint: values.endpoint } : {}),
  ...(values.project ? { projectId: values.project } : {}),
});
let lastReport = 0;
try {
  const folder = await checkModelFolder(resolve(dir));
  await ensureDecodeGraph(folder, (path) =>
    process.stderr.write(`writing the decode graph ${path}\n`),
  );
  const summary = await pushModel({
    dir,
    destination,
    concurrency,
    deleteExtra: values.delete,
    onProgress: (sent, total) => {
      const now = performance.now();
      if (now - lastReport >= 1000 || sent === total) {
        lastReport = now;
        const percent = total === 0 ? 100 : Math.floor((100 * sent) / total);
        process.stderr.write(
          `uploaded ${(sent / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB (${percent}%)\n`,
        );
      }
    },
  });
  for (const path of summary.extraPaths) {
    const verb = values.delete ? 'deleted' : 'not in the folder (use --delete to remove)';
    process.stderr.write(`${destination.description}/${path}: ${verb}\n`);
  }
  const mbPerSecond = summary.uploadedBytes / 1e6 / Math.max(summary.seconds, 1e-3);
  process.stdout.write(
    `pushed ${dir} to ${summary.destination}: ${summary.files} files, ${summary.uploadedFiles} uploaded ` +
      `(${(summary.uploadedBytes / 1e6).toFixed(1)} MB), ${summary.unchangedFiles} unchanged, ` +
      `${summary.deletedFiles} deleted, in ${summary.seconds.toFixed(2)} s (${mbPerSecond.toFixed(1)} MB/s)\n`,
  );
} catch (error) {
  process.stderr.write(`model push failed: ${(error as Error).message}\n`);
  process.exit(1);
}

import { parseArgs } from 'node:util';
import { isModelSize, MODEL_SIZE_NAMES } from '@warmgen/worker/model-builder/model-sizes.ts';

export const usage = `Usage: npm run dev:gcp -- [options]

Runs warmgen on its Google Cloud adapters, locally: the Pub/Sub and Firestore emulators,
a Cloud Storage test server holding the model (pushed with the real \`model push\`), and
the API and worker(s) as separate processes with BACKEND=gcp. Ctrl-C stops everything.

Options:
  --model M      tiny (default; builds in seconds), small (GPT-2 small shape, ~500 MB),
                 or a model folder (e.g. a real GPT-2 ONNX export)
  --port N       the API's port (default 8080; 0 picks a free one)
  --workers N    long-lived worker processes (default 1; 0 with --scale job)
  --scale MODE   off (default), or job: the API's launcher starts Cloud Run Job
                 executions on a local Cloud Run Admin API test server, whose tasks
                 are drain-mode worker processes (they exit when the queue is idle)
  -h, --help     show this help
`;

export interface DevGcpArgs {
  model: { kind: 'size'; size: 'tiny' | 'small' } | { kind: 'folder'; path: string };
  port: number;
  workers: number;
  scale: 'off' | 'job';
}

/** Parses the command line; throws an Error whose message is meant for the user. */
export function parseDevGcpArgs(argv: readonly string[]): DevGcpArgs | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      model: { type: 'string', default: 'tiny' },
      port: { type: 'string', default: '8080' },
      workers: { type: 'string', default: '1' },
      scale: { type: 'string', default: 'off' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    return 'help';
  }
  if (positionals.length > 0) {
    throw new Error(`unexpected argument "${positionals[0]}"`);
  }
  const port = integer('--port', values.port, 0, 65_535);
  if (values.scale !== 'off' && values.scale !== 'job') {
    throw new Error(`--scale must be off or job, got "${values.scale}"`);
  }
  const scale = values.scale;
  const workers = integer('--workers', values.workers, scale === 'job' ? 0 : 1, 16);
  const model = isModelSize(values.model)
    ? { kind: 'size' as const, size: values.model }
    : { kind: 'folder' as const, path: values.model };
  if (model.kind === 'folder' && !/[/.]/.test(model.path)) {
    throw new Error(
      `--model must be ${MODEL_SIZE_NAMES.join(' or ')}, or a folder path (with a "/"), got "${model.path}"`,
    );
  }
  return { model, port, workers, scale };
}

function integer(flag: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${flag} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

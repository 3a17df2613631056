import { inheritedEnv, modelPushMain, repoRoot } from './stack-env.ts';
import { startProcess, tail } from './supervised-process.ts';

export interface PushModelOptions {
  /** The local model folder. */
  dir: string;
  /** gs://bucket/prefix */
  uri: string;
  /** The Cloud Storage API origin (the GCS test server). */
  endpoint: string;
  projectId: string;
  onLine?: (line: string) => void;
}

/**
 * Publishes a model folder the way a user does: the real `model push` command, in its own
 * process, against the given endpoint. Resolves with its summary line; throws with its
 * output when it fails.
 */
export async function pushModelFolder(options: PushModelOptions): Promise<string> {
  const push = startProcess({
    name: 'model push',
    command: process.execPath,
    args: [
      modelPushMain,
      options.dir,
      options.uri,
      '--endpoint',
      options.endpoint,
      '--project',
      options.projectId,
    ],
    env: { ...inheritedEnv(), METADATA_SERVER_DETECTION: 'none' },
    cwd: repoRoot,
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
  const status = await push.exited;
  const summary = push.lines().find((line) => line.startsWith('pushed '));
  if (status.code !== 0 || summary === undefined) {
    throw new Error(
      `model push of ${options.dir} to ${options.uri} failed (code ${status.code}, signal ${status.signal}):\n${tail(push.lines())}`,
    );
  }
  return summary;
}

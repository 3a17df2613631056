import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { GcsModelSource } from '@warmgen/shared/adapters/gcs/gcs-model-source.ts';
import type { GcsTestServer } from './gcs-test-server/gcs-test-server.ts';

/** A small model-shaped folder of random bytes: one multi-chunk file and a few small ones. */
export const fixtureFiles: Record<string, number> = {
  'config.json': 700,
  'generation_config.json': 0,
  'tokenizer.json': 300_000,
  'onnx/model.onnx': 90_000,
  'onnx/model.onnx_data': 5 * 1024 * 1024 + 12_345,
};

export async function writeFixtureModel(dir: string): Promise<Map<string, Buffer>> {
  const contents = new Map<string, Buffer>();
  for (const [path, size] of Object.entries(fixtureFiles)) {
    const data = randomBytes(size);
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), data);
    contents.set(path, data);
  }
  return contents;
}

/** Seeds gs://bucket/prefix on the test server with the contents, as an upload would. */
export function seedBucket(
  server: GcsTestServer,
  bucket: string,
  prefix: string,
  contents: Map<string, Buffer>,
): void {
  for (const [path, data] of contents) {
    server.store.put(bucket, `${prefix}/${path}`, data);
  }
}

/** A client whose own retries are off, so every retry seen is the hydrator's. */
export function gcsSource(server: GcsTestServer, bucket: string, prefix: string): GcsModelSource {
  const storage = new Storage({
    apiEndpoint: server.url,
    projectId: 'test-project',
    retryOptions: { autoRetry: false },
  });
  return new GcsModelSource({ bucket, prefix, storage });
}

/** Every file under dir (relative paths, forward slashes) with its bytes. */
export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const tree = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      tree.set(path.slice(dir.length + 1), await readFile(path));
    }
  }
  return tree;
}

const tempDirs: string[] = [];

export async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `warmgen-${label}-`));
  tempDirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** What a failed or finished hydration must leave behind: no staging folder contents. */
export async function stagingEntries(cacheDir: string): Promise<string[]> {
  return readdir(join(cacheDir, 'staging')).catch(() => []);
}

/** Collects log lines instead of printing them. */
export function memoryLogger() {
  const lines: { level: 'info' | 'warn'; fields: Record<string, unknown>; message: string }[] = [];
  return {
    lines,
    info: (fields: Record<string, unknown>, message: string) => {
      lines.push({ level: 'info', fields, message });
    },
    warn: (fields: Record<string, unknown>, message: string) => {
      lines.push({ level: 'warn', fields, message });
    },
  };
}

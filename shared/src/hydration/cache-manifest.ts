import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelFile } from '../ports/model-source.ts';

/**
 * What a published model folder holds: the source it came from and each file's version
 * (GCS generation), size and checksums as listed when it was downloaded. It is written into
 * the folder before the folder is published, so folder and manifest change together.
 */
export const MANIFEST_FILE = '.hydration-manifest.json';

export interface CacheManifest {
  format: 1;
  source: string;
  hydratedAt: string;
  files: ModelFile[];
}

export interface HydrationPlan {
  /** Unchanged since the cached copy: linked into the new folder, not downloaded. */
  reuse: ModelFile[];
  /** New or changed: downloaded. */
  fetch: ModelFile[];
  /** The cached folder already is exactly this listing. */
  upToDate: boolean;
}

export async function readManifest(modelDir: string): Promise<CacheManifest | undefined> {
  try {
    const manifest = JSON.parse(await readFile(join(modelDir, MANIFEST_FILE), 'utf8'));
    return manifest?.format === 1 && Array.isArray(manifest.files) ? manifest : undefined;
  } catch {
    return undefined;
  }
}

export async function writeManifest(modelDir: string, manifest: CacheManifest): Promise<void> {
  await writeFile(join(modelDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

function sameFile(a: ModelFile, b: ModelFile): boolean {
  return (
    a.path === b.path &&
    a.version === b.version &&
    a.sizeBytes === b.sizeBytes &&
    a.crc32c === b.crc32c &&
    a.md5 === b.md5
  );
}

/** Compares a fresh listing with the cached manifest (only valid for the same source). */
export function planHydration(
  listed: ModelFile[],
  source: string,
  manifest: CacheManifest | undefined,
): HydrationPlan {
  const cached = new Map(
    manifest?.source === source ? manifest.files.map((file) => [file.path, file]) : [],
  );
  const reuse: ModelFile[] = [];
  const fetch: ModelFile[] = [];
  for (const file of listed) {
    const previous = cached.get(file.path);
    (previous && sameFile(previous, file) ? reuse : fetch).push(file);
  }
  const upToDate = fetch.length === 0 && reuse.length === cached.size;
  return { reuse, fetch, upToDate };
}

/** Cheap integrity check of a cached folder: every file there with its listed size. */
export async function filesPresent(modelDir: string, files: ModelFile[]): Promise<boolean> {
  try {
    const sizes = await Promise.all(files.map((file) => stat(join(modelDir, file.path))));
    return sizes.every((info, i) => info.isFile() && info.size === files[i]?.sizeBytes);
  } catch {
    return false;
  }
}

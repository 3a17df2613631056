import { link, mkdir, readdir, realpath, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * The cache folder:
 *   current   -> versions/<id>   symlink to the published model folder (swapped atomically)
 *   versions/<id>/                complete, verified model folders (never modified once published)
 *   staging/<id>/                 a hydration in progress (never loaded; removed on failure)
 *   hydration.lock/               the host-wide lock (proper-lockfile)
 * Publishing renames staging/<id> to versions/<id>, then renames a fresh symlink over
 * `current`: a reader sees the old model or the new one, never a mix or a partial folder.
 */
export interface CacheLayout {
  root: string;
  current: string;
  versions: string;
  staging: string;
  lock: string;
}

export function cacheLayout(root: string): CacheLayout {
  return {
    root,
    current: join(root, 'current'),
    versions: join(root, 'versions'),
    staging: join(root, 'staging'),
    lock: join(root, 'hydration'),
  };
}

/** The published model folder, or undefined when nothing has been published yet. */
export async function currentModelDir(layout: CacheLayout): Promise<string | undefined> {
  try {
    return await realpath(layout.current);
  } catch {
    return undefined;
  }
}

export async function publish(
  layout: CacheLayout,
  stagingDir: string,
  id: string,
): Promise<string> {
  const published = join(layout.versions, id);
  await mkdir(layout.versions, { recursive: true });
  await rename(stagingDir, published);
  const nextLink = join(layout.root, `.current-${id}`);
  await symlink(join('versions', id), nextLink);
  await rename(nextLink, layout.current);
  return published;
}

/**
 * Removes published folders other than `keep` (the new one and the one it replaced, which
 * a process on this host may still be loading), and any staging folder left by a crash.
 */
export async function removeOthers(
  layout: CacheLayout,
  keep: (string | undefined)[],
): Promise<void> {
  // Compared by folder name: a kept path may be spelled through a symlink.
  const kept = new Set(keep.filter((dir) => dir !== undefined).map((dir) => basename(dir)));
  const versions = await readdir(layout.versions).catch(() => [] as string[]);
  for (const name of versions) {
    if (!kept.has(name)) {
      await rm(join(layout.versions, name), { recursive: true, force: true });
    }
  }
}

export async function clearStaging(layout: CacheLayout): Promise<void> {
  await rm(layout.staging, { recursive: true, force: true });
}

/** Hard-links an unchanged file into the new folder (same filesystem: no copy, no bytes). */
export async function linkInto(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await link(from, to);
}

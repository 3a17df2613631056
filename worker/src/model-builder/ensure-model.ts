import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BUILDER_VERSION,
  type BuilderStamp,
  buildModelFolder,
  EXTERNAL_DATA_FILE,
} from './build-model.ts';
import { isModelSize, MODEL_SIZE_NAMES, MODEL_SPECS, type ModelSize } from './model-sizes.ts';

/**
 * A built model folder, made once per (size, seed) and reused. Safe to call from several
 * processes at once: each builds into its own temporary folder beside the target and
 * renames it into place; rename of a folder onto a non-empty one fails, so the first
 * finisher wins and the others discard their copy and use the winner's.
 */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DEFAULT_MODEL_CACHE_DIR = join(REPO_ROOT, '.cache', 'models');
export const DEFAULT_MODEL_SEED = 42;
/** Leftovers of builds that crashed are removed once they are this old. */
const ABANDONED_BUILD_AGE_MS = 60 * 60 * 1000;

export interface EnsureModelOptions {
  /** Parent folder of the cached builds; the model lands in `<cacheDir>/<size>-seed<seed>`. */
  cacheDir?: string;
  seed?: number;
}

const inFlight = new Map<string, Promise<string>>();

/** Where ensureModel keeps (size, seed); does not build. */
export function cachedModelPath(size: ModelSize, options: EnsureModelOptions = {}): string {
  const seed = options.seed ?? DEFAULT_MODEL_SEED;
  return join(resolve(options.cacheDir ?? DEFAULT_MODEL_CACHE_DIR), `${size}-seed${seed}`);
}

/** Returns the path of a built model folder, building it first if the cache lacks it. */
export function ensureModel(size: ModelSize, options: EnsureModelOptions = {}): Promise<string> {
  if (!isModelSize(size)) {
    return Promise.reject(
      new Error(
        `unknown model size ${JSON.stringify(size)}: expected one of ${MODEL_SIZE_NAMES.join(', ')}`,
      ),
    );
  }
  const seed = options.seed ?? DEFAULT_MODEL_SEED;
  const dir = cachedModelPath(size, options);
  // One build per folder per process; other processes are handled by the rename race.
  let pending = inFlight.get(dir);
  if (!pending) {
    pending = ensureAt(dir, size, seed).finally(() => inFlight.delete(dir));
    inFlight.set(dir, pending);
  }
  return pending;
}

async function ensureAt(dir: string, size: ModelSize, seed: number): Promise<string> {
  if (await isCurrentBuild(dir, size, seed)) {
    return dir;
  }
  const parent = dirname(dir);
  const name = basename(dir);
  await mkdir(parent, { recursive: true });
  await removeAbandonedBuilds(parent, name);
  const temp = await mkdtemp(join(parent, `.${name}.building-`));
  try {
    await buildModelFolder({ size, outDir: temp, seed });
    // mkdtemp makes the folder private (0700); the cache is meant to be read like any other.
    await chmod(temp, 0o755);
    await moveAsideIfStale(dir, size, seed);
    try {
      await rename(temp, dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await isCurrentBuild(dir, size, seed))) {
        // Another process finished first: its folder is identical to ours.
        await rm(temp, { recursive: true, force: true });
        return dir;
      }
      throw error;
    }
    return dir;
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw new Error(`could not build the ${size} model into ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** A folder counts only if a builder of this version wrote it completely for (size, seed). */
async function isCurrentBuild(dir: string, size: ModelSize, seed: number): Promise<boolean> {
  try {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as {
      warmgen_builder?: BuilderStamp;
    };
    const stamp = config.warmgen_builder;
    if (stamp?.version !== BUILDER_VERSION || stamp.size !== size || stamp.seed !== seed) {
      return false;
    }
    const required = ['tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];
    if (MODEL_SPECS[size].externalData) {
      required.push(`onnx/${EXTERNAL_DATA_FILE}`);
    }
    await Promise.all(required.map((file) => stat(join(dir, file))));
    return true;
  } catch {
    return false;
  }
}

/**
 * A folder from an older builder version blocks the rename: move it aside, then delete it.
 * The check right before the move keeps us from moving a fresh build another process just
 * renamed into place.
 */
async function moveAsideIfStale(dir: string, size: ModelSize, seed: number): Promise<void> {
  if (await isCurrentBuild(dir, size, seed)) {
    return;
  }
  const aside = join(dirname(dir), `.${basename(dir)}.stale-${randomBytes(6).toString('hex')}`);
  try {
    await rename(dir, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return;
    }
    throw error;
  }
  await rm(aside, { recursive: true, force: true });
}

async function removeAbandonedBuilds(parent: string, name: string): Promise<void> {
  const entries = await readdir(parent);
  const now = Date.now();
  for (const entry of entries) {
    if (!entry.startsWith(`.${name}.building-`) && !entry.startsWith(`.${name}.stale-`)) {
      continue;
    }
    const path = join(parent, entry);
    try {
      if (now - (await stat(path)).mtimeMs > ABANDONED_BUILD_AGE_MS) {
        await rm(path, { recursive: true, force: true });
      }
    } catch {
      // Another process removed it first.
    }
  }
}

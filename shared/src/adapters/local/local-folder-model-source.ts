import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ByteRange, ModelFile, ModelSource } from '../../ports/model-source.ts';

/**
 * A model folder on local disk (a path or a file:// URL). Every regular file under it is a
 * model file; its version is size + modification time in nanoseconds. No checksums are
 * reported (reading the whole model to hash it on every start would cost what the cache
 * saves), so the hydrator checks sizes only for this source.
 */
export class LocalFolderModelSource implements ModelSource {
  readonly description: string;
  readonly #root: string;

  constructor(pathOrFileUrl: string) {
    this.#root = resolve(
      pathOrFileUrl.startsWith('file:') ? fileURLToPath(pathOrFileUrl) : pathOrFileUrl,
    );
    this.description = pathToFileURL(this.#root).href;
  }

  async list(): Promise<ModelFile[]> {
    const entries = await readdir(this.#root, { recursive: true, withFileTypes: true });
    const files: ModelFile[] = [];
    for (const entry of entries) {
      if (!entry.isFile()) {
        continue;
      }
      const absolute = join(entry.parentPath, entry.name);
      const info = await stat(absolute, { bigint: true });
      files.push({
        path: relative(this.#root, absolute).split(sep).join('/'),
        sizeBytes: Number(info.size),
        version: `${info.size}-${info.mtimeNs}`,
      });
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  async open(file: ModelFile, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    const path = join(this.#root, ...file.path.split('/'));
    const info = await stat(path, { bigint: true });
    if (`${info.size}-${info.mtimeNs}` !== file.version) {
      throw new Error(`${path} changed since it was listed`);
    }
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }
}

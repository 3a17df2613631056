import { readFile } from 'node:fs/promises';
import { sep } from 'node:path';
import { env } from '@huggingface/transformers';

/**
 * Why this exists: transformers.js 4.3.1 opens every local file through its FileResponse,
 * whose constructor starts streaming the WHOLE file into memory (fs.createReadStream into
 * an unbounded ReadableStream) even when the library then only hands the file's path to
 * onnxruntime. For the 500 MB weights file that is 500 MB of Buffers held until garbage
 * collection; measured: +470 MB RSS in the seconds after loading GPT-2 small.
 *
 * The fix goes through the library's documented extension point, a custom cache
 * (env.useCustomCache / env.customCache, Web Cache API `match` / `put`): for files inside
 * a registered model folder it answers ONNX graphs and weights with their path (the
 * library passes paths to onnxruntime on Node, which reads or maps them itself) and other
 * files (small JSON) with their bytes. Anything else falls through to the library.
 */
const folders = new Set<string>();
const ONNX_FILE = /\.onnx(_data(_\d+)?)?$/;

export function registerModelFolder(dir: string): void {
  folders.add(dir.endsWith(sep) ? dir : `${dir}${sep}`);
  env.useCustomCache = true;
  env.customCache = modelFolderCache;
}

const modelFolderCache = {
  /**
   * Keys are the file's local path, and later its would-be remote URL, which embeds the
   * folder path (the model id) and ends with the file name inside the folder.
   */
  async match(key: string): Promise<string | Response | undefined> {
    const path = localPathFor(key);
    if (path === null) {
      return undefined;
    }
    if (ONNX_FILE.test(path)) {
      return path;
    }
    try {
      return new Response(await readFile(path));
    } catch {
      return undefined;
    }
  },
  async put(): Promise<void> {},
};

function localPathFor(key: string): string | null {
  for (const folder of folders) {
    const at = key.indexOf(folder);
    if (at < 0) {
      continue;
    }
    if (at === 0) {
      return key;
    }
    // A remote URL: <host>/<folder>/resolve/<revision>/<file inside the folder>.
    const match = /\/resolve\/[^/]+\/(.+)$/.exec(key.slice(at + folder.length - 1));
    if (match) {
      return `${folder}${match[1]}`;
    }
  }
  return null;
}

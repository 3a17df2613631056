import type { ModelFile } from '../ports/model-source.ts';
import { MANIFEST_FILE } from './cache-manifest.ts';

/**
 * Object names come from a bucket, so they are checked before they become local paths:
 * no absolute paths, no `..`, no backslashes or empty segments, and not the manifest's name.
 */
export function checkModelPaths(files: ModelFile[]): ModelFile[] {
  for (const file of files) {
    const segments = file.path.split('/');
    const unsafe =
      file.path === '' ||
      file.path.includes('\\') ||
      file.path.includes('\0') ||
      segments.some((segment) => segment === '' || segment === '.' || segment === '..') ||
      file.path === MANIFEST_FILE;
    if (unsafe) {
      throw new Error(`refusing model file path "${file.path}": not a plain relative path`);
    }
    if (!Number.isSafeInteger(file.sizeBytes) || file.sizeBytes < 0) {
      throw new Error(`model file "${file.path}" has an invalid size ${file.sizeBytes}`);
    }
  }
  return files;
}

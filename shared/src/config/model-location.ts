import { fileURLToPath } from 'node:url';
import { ConfigError } from './config-error.ts';
import { type Env, readRaw } from './parse-env.ts';

/**
 * Where the worker hydrates the model from (MODEL_URI):
 * - unset: the built-in tiny stand-in model, built locally in seconds;
 * - a `file://` URL or a plain path (relative paths stay relative to the working directory);
 * - `gs://bucket/prefix`: a Cloud Storage folder.
 */
export type ModelLocation =
  | { readonly kind: 'builtin' }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'gcs'; readonly bucket: string; readonly prefix: string };

const schemePattern = /^([a-z][a-z0-9+.-]*):\/\//i;
// Cloud Storage bucket names: 3-63 (or dotted, up to 222) lowercase letters, digits, -, _, .
const bucketPattern = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

export function readModelLocation(env: Env, name: string): ModelLocation {
  const raw = readRaw(env, name);
  if (raw === undefined) {
    return { kind: 'builtin' };
  }
  const scheme = schemePattern.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    return { kind: 'file', path: raw };
  }
  if (scheme === 'file') {
    return { kind: 'file', path: fileUrlToPath(raw, name) };
  }
  if (scheme === 'gs') {
    return parseGcsUri(raw, name);
  }
  throw new ConfigError(
    name,
    `${name} must be a file:// URL, a gs://bucket/prefix or a path, got "${raw}"`,
  );
}

function fileUrlToPath(raw: string, name: string): string {
  try {
    return fileURLToPath(raw);
  } catch (error) {
    const message = `${name} must be an absolute file:// URL such as file:///models/gpt2, got "${raw}"`;
    throw new ConfigError(name, message, { cause: error });
  }
}

function parseGcsUri(raw: string, name: string): ModelLocation {
  const rest = raw.slice('gs://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (!bucketPattern.test(bucket)) {
    throw new ConfigError(name, `${name} must look like gs://bucket/prefix, got "${raw}"`);
  }
  return { kind: 'gcs', bucket, prefix };
}

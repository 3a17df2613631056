import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Device, ModelDtype } from '@warmgen/shared/config/load-config.ts';
import { decodeStampFile } from '../model-builder/decode-graph-file.ts';

/**
 * The sha256 of the folder's ONNX graph, as the decode graph's stamp records it. Loading
 * the engine checked that stamp against the graph itself (ensureDecodeGraph refuses a stale
 * one), so after a load this is the hash of the weights being served, read from a few bytes
 * instead of hashing hundreds of MB again. Null when the stamp cannot be read.
 */
export async function loadedModelSha256(
  modelDir: string,
  dtype: ModelDtype,
  device: Device,
): Promise<string | null> {
  const stamp = join(
    modelDir,
    'onnx',
    decodeStampFile(dtype, device === 'webgpu' ? 'device' : 'host'),
  );
  try {
    const parsed = JSON.parse(await readFile(stamp, 'utf8')) as { sourceSha256?: unknown };
    return typeof parsed.sourceSha256 === 'string' ? parsed.sourceSha256 : null;
  } catch {
    return null;
  }
}

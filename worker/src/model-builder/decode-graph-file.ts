import { createHash } from 'node:crypto';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ModelFolder } from '../engine/model-folder.ts';
import { ModelFolderError } from '../engine/model-folder-error.ts';
import { DECODE_GRAPH_VERSION, decodeModelProto, gpt2WeightNames } from './decode-graph.ts';
import { type OnnxTypes, onnx } from './onnx-proto.ts';

/**
 * The decode graph's files in a model folder, next to the graph it was made from:
 *   onnx/warmgen-decode.onnx   the graph (its weights are the source's: the same
 *                              initializers, inline or pointing at the same model.onnx_data)
 *   onnx/warmgen-decode.json   what it was made from: the graph version and the source
 *                              graph's sha256, so a folder whose model.onnx changed
 *                              afterwards is caught as stale instead of serving old weights
 */
export const DECODE_GRAPH_FILE = 'warmgen-decode.onnx';
export const DECODE_STAMP_FILE = 'warmgen-decode.json';

export interface DecodeStamp {
  version: number;
  source: string;
  sourceSha256: string;
  /** config.json's shape the graph was built for: n_layer, n_head, n_embd, n_positions, vocab_size. */
  shape: number[];
}

function shapeOf(folder: DecodeFolder): number[] {
  return [folder.nLayer, folder.nHead, folder.nEmbd, folder.nPositions, folder.vocabSize];
}

export type DecodeFolder = Pick<
  ModelFolder,
  'dir' | 'onnxPath' | 'nLayer' | 'nHead' | 'nEmbd' | 'nPositions' | 'vocabSize'
>;

export function decodeGraphPath(folder: Pick<ModelFolder, 'onnxPath'>): string {
  return join(dirname(folder.onnxPath), DECODE_GRAPH_FILE);
}

/** Writes the decode graph for the folder's model.onnx (model:build, model push, load). */
export async function writeDecodeGraph(folder: DecodeFolder): Promise<string> {
  const sourceBytes = await readFile(folder.onnxPath);
  let source: OnnxTypes.ModelProto;
  try {
    source = onnx.ModelProto.decode(sourceBytes);
  } catch (error) {
    throw new ModelFolderError(
      folder.onnxPath,
      `could not be loaded: not an ONNX model (${(error as Error).message})`,
      { cause: error },
    );
  }
  const byName = new Map<string, OnnxTypes.ITensorProto>();
  for (const tensor of source.graph?.initializer ?? []) {
    if (tensor.name) {
      byName.set(tensor.name, tensor);
    }
  }
  const weights: OnnxTypes.ITensorProto[] = [];
  for (const name of gpt2WeightNames(folder.nLayer)) {
    const tensor = byName.get(name);
    if (!tensor) {
      throw new ModelFolderError(
        folder.onnxPath,
        `cannot build warmgen's decode graph: no initializer named ${name} (the weights are read by their Hugging Face GPT-2 names)`,
      );
    }
    weights.push(tensor);
  }
  const stamp: DecodeStamp = {
    version: DECODE_GRAPH_VERSION,
    source: 'model.onnx',
    sourceSha256: sha256(sourceBytes),
    shape: shapeOf(folder),
  };
  const shape = {
    nLayer: folder.nLayer,
    nHead: folder.nHead,
    nEmbd: folder.nEmbd,
    nPositions: folder.nPositions,
    vocabSize: folder.vocabSize,
  };
  let model: OnnxTypes.IModelProto;
  try {
    model = decodeModelProto(shape, weights, { 'warmgen.source_sha256': stamp.sourceSha256 });
  } catch (error) {
    throw new ModelFolderError(
      folder.onnxPath,
      `cannot build warmgen's decode graph: ${(error as Error).message}`,
    );
  }
  const target = decodeGraphPath(folder);
  await writeAtomically(target, onnx.ModelProto.encode(model).finish());
  await writeAtomically(
    join(dirname(target), DECODE_STAMP_FILE),
    `${JSON.stringify(stamp, null, 2)}\n`,
  );
  return target;
}

/**
 * The decode graph's path, written first if the folder has none or has one from another
 * warmgen version (logged through onBuild, cached in the folder). A graph made from another
 * model.onnx is refused with an error naming it: serving it would mean other weights than
 * the folder's (a folder pushed or copied inconsistently).
 */
export async function ensureDecodeGraph(
  folder: DecodeFolder,
  onBuild: (path: string) => void = () => {},
): Promise<string> {
  const target = decodeGraphPath(folder);
  const stampPath = join(dirname(target), DECODE_STAMP_FILE);
  const stampText = await readFile(stampPath, 'utf8').catch(() => null);
  const graphPresent = await stat(target).then(
    (info) => info.isFile(),
    () => false,
  );
  if (stampText === null || !graphPresent) {
    onBuild(target);
    return writeDecodeGraph(folder);
  }
  let stamp: Partial<DecodeStamp>;
  try {
    stamp = JSON.parse(stampText) as Partial<DecodeStamp>;
  } catch {
    throw new ModelFolderError(
      stampPath,
      'is not valid JSON; delete it and onnx/warmgen-decode.onnx to rebuild',
    );
  }
  if (stamp.version !== DECODE_GRAPH_VERSION || stamp.shape?.join() !== shapeOf(folder).join()) {
    // Made by another warmgen version, or for another config.json: ours to remake.
    onBuild(target);
    return writeDecodeGraph(folder);
  }
  const sourceSha256 = await sha256OfFile(folder.onnxPath);
  if (stamp.sourceSha256 !== sourceSha256) {
    throw new ModelFolderError(
      target,
      `is stale: it was made from another model.onnx (sha256 ${stamp.sourceSha256 ?? 'unknown'}, the folder's is ${sourceSha256}), so it would serve other weights; push the folder again (npm run model:push writes it) or delete ${DECODE_GRAPH_FILE} and ${DECODE_STAMP_FILE} to rebuild it at load`,
    );
  }
  return target;
}

/**
 * Read through one reused buffer: a graph with inline weights is hundreds of MB, which
 * should not pass through JS memory (not even as stream chunks awaiting collection).
 */
async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1 << 20);
  const file = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) {
        break;
      }
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

import { createHash } from 'node:crypto';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ModelFolder } from '../engine/model-folder.ts';
import { ModelFolderError } from '../engine/model-folder-error.ts';
import {
  DECODE_GRAPH_VERSION,
  type DecodeDtype,
  decodeModelProto,
  gpt2WeightNames,
  type KvPlacement,
  Q8_BLOCK_SIZE,
  quantizedWeightShapes,
} from './decode-graph.ts';
import { type OnnxTypes, onnx } from './onnx-proto.ts';

/**
 * The decode graph's files in a model folder, next to the graph it was made from:
 *   onnx/warmgen-decode.onnx   the graph (its weights are the source's: the same
 *                              initializers, inline or pointing at the same model.onnx_data)
 *   onnx/warmgen-decode.json   what it was made from: the graph version and the source
 *                              graph's sha256, so a folder whose model.onnx changed
 *                              afterwards is caught as stale instead of serving old weights
 *   onnx/warmgen-decode-q8.*   the same for MODEL_DTYPE=q8 (8-bit weights inline), written
 *                              at the first load that asks for it
 *   onnx/warmgen-decode-device[-q8].*  the graph that keeps the KV cache on the device
 *                              (DEVICE=webgpu; decode-graph.ts), written at its first load
 */
export const DECODE_GRAPH_FILE = fileNames('fp32', 'host').graph;
export const DECODE_STAMP_FILE = fileNames('fp32', 'host').stamp;

/** The stamp's file name (in the folder's onnx/) for a dtype and KV placement. */
export function decodeStampFile(dtype: DecodeDtype, kv: KvPlacement): string {
  return fileNames(dtype, kv).stamp;
}

function fileNames(dtype: DecodeDtype, kv: KvPlacement): { graph: string; stamp: string } {
  const base = `warmgen-decode${kv === 'device' ? '-device' : ''}${dtype === 'fp32' ? '' : `-${dtype}`}`;
  return { graph: `${base}.onnx`, stamp: `${base}.json` };
}

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

export function decodeGraphPath(
  folder: Pick<ModelFolder, 'onnxPath'>,
  dtype: DecodeDtype = 'fp32',
  kv: KvPlacement = 'host',
): string {
  return join(dirname(folder.onnxPath), fileNames(dtype, kv).graph);
}

/** Writes the decode graph for the folder's model.onnx (model:build, model push, load). */
export async function writeDecodeGraph(
  folder: DecodeFolder,
  dtype: DecodeDtype = 'fp32',
  kv: KvPlacement = 'host',
): Promise<string> {
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
  let weights: OnnxTypes.ITensorProto[] = [];
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
    if (dtype === 'q8') {
      weights = await quantizeQ8(folder, shape, weights, kv);
    }
    model = decodeModelProto(
      shape,
      weights,
      { 'warmgen.source_sha256': stamp.sourceSha256 },
      dtype,
      kv,
    );
  } catch (error) {
    if (error instanceof ModelFolderError) {
      throw error;
    }
    throw new ModelFolderError(
      folder.onnxPath,
      `cannot build warmgen's decode graph: ${(error as Error).message}`,
    );
  }
  const target = decodeGraphPath(folder, dtype, kv);
  await writeAtomically(target, onnx.ModelProto.encode(model).finish());
  await writeAtomically(
    join(dirname(target), fileNames(dtype, kv).stamp),
    `${JSON.stringify(stamp, null, 2)}\n`,
  );
  return target;
}

/**
 * The q8 weight set: the linear weights replaced by their 8-bit form for the placement (see
 * decode-graph.ts), everything else (and wte, which the embedding still reads) as it was.
 */
async function quantizeQ8(
  folder: DecodeFolder,
  shape: Parameters<typeof quantizedWeightShapes>[0],
  weights: readonly OnnxTypes.ITensorProto[],
  kv: KvPlacement,
): Promise<OnnxTypes.ITensorProto[]> {
  const byName = new Map(weights.map((tensor) => [tensor.name!, tensor]));
  const quantized = quantizedWeightShapes(shape);
  const replaced = new Set(
    quantized.map(([name]) => name).filter((name) => name !== 'transformer.wte.weight'),
  );
  const out = weights.filter((tensor) => !replaced.has(tensor.name!));
  for (const [name, k, n] of quantized) {
    const values = await floatData(folder, byName.get(name)!);
    // wte is [vocab, n_embd]: already one row per output; Conv1D weights are [K, N].
    const rowMajor = name === 'transformer.wte.weight';
    const at = (column: number, i: number): number =>
      rowMajor ? values[column * k + i]! : values[i * n + column]!;
    out.push(...(kv === 'host' ? perColumnInt8(name, k, n, at) : blockUint8(name, k, n, at)));
  }
  return out;
}

/** DynamicQuantizeMatMul's weights: int8 [K, N], one symmetric scale per output column. */
function perColumnInt8(
  name: string,
  k: number,
  n: number,
  at: (column: number, i: number) => number,
): OnnxTypes.ITensorProto[] {
  const q = new Int8Array(k * n);
  const scales = new Float32Array(n);
  for (let column = 0; column < n; column++) {
    let max = 0;
    for (let i = 0; i < k; i++) {
      max = Math.max(max, Math.abs(at(column, i)));
    }
    const scale = max / 127 || 1;
    scales[column] = scale;
    for (let i = 0; i < k; i++) {
      q[i * n + column] = Math.max(-127, Math.min(127, Math.round(at(column, i) / scale)));
    }
  }
  return [
    {
      name: `${name}.q8`,
      dims: [k, n],
      dataType: onnx.TensorProto.DataType.INT8,
      rawData: new Uint8Array(q.buffer),
    },
    {
      name: `${name}.scales`,
      dims: [n],
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(scales.buffer),
    },
  ];
}

/** MatMulNBits' weights: uint8 blocks of Q8_BLOCK_SIZE along K per output, one scale each. */
function blockUint8(
  name: string,
  k: number,
  n: number,
  at: (column: number, i: number) => number,
): OnnxTypes.ITensorProto[] {
  const blocks = k / Q8_BLOCK_SIZE;
  if (!Number.isInteger(blocks)) {
    throw new Error(
      `${name}: ${k} inputs are not a multiple of the q8 block size ${Q8_BLOCK_SIZE}`,
    );
  }
  const q = new Uint8Array(n * k);
  const scales = new Float32Array(n * blocks);
  for (let column = 0; column < n; column++) {
    for (let b = 0; b < blocks; b++) {
      let max = 0;
      for (let i = b * Q8_BLOCK_SIZE; i < (b + 1) * Q8_BLOCK_SIZE; i++) {
        max = Math.max(max, Math.abs(at(column, i)));
      }
      const scale = max / 127 || 1;
      scales[column * blocks + b] = scale;
      for (let i = b * Q8_BLOCK_SIZE; i < (b + 1) * Q8_BLOCK_SIZE; i++) {
        q[column * k + i] = Math.max(0, Math.min(255, Math.round(at(column, i) / scale) + 128));
      }
    }
  }
  return [
    {
      name: `${name}.q8`,
      dims: [n, blocks, Q8_BLOCK_SIZE],
      dataType: onnx.TensorProto.DataType.UINT8,
      rawData: q,
    },
    {
      name: `${name}.scales`,
      dims: [n * blocks],
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(scales.buffer),
    },
  ];
}

/** A float initializer's values, inline (raw or float_data) or from its external data file. */
async function floatData(
  folder: DecodeFolder,
  tensor: OnnxTypes.ITensorProto,
): Promise<Float32Array> {
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const entry = (key: string) => tensor.externalData?.find((e) => e.key === key)?.value;
    const location = entry('location');
    const offset = Number(entry('offset') ?? 0);
    const length = Number(entry('length'));
    if (!location || !Number.isFinite(length)) {
      throw new ModelFolderError(
        folder.onnxPath,
        `${tensor.name}: external data without a location or length`,
      );
    }
    const file = await open(join(dirname(folder.onnxPath), location), 'r');
    try {
      const bytes = Buffer.alloc(length);
      await file.read(bytes, 0, length, offset);
      return new Float32Array(bytes.buffer, bytes.byteOffset, length / 4);
    } finally {
      await file.close();
    }
  }
  if (tensor.rawData && tensor.rawData.byteLength > 0) {
    // A copy (protobufjs hands out Node Buffers, whose slice() is a view into a pool).
    const raw = new Uint8Array(tensor.rawData);
    return new Float32Array(raw.buffer, 0, raw.byteLength / 4);
  }
  return Float32Array.from(tensor.floatData ?? []);
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
  dtype: DecodeDtype = 'fp32',
  kv: KvPlacement = 'host',
): Promise<string> {
  const target = decodeGraphPath(folder, dtype, kv);
  const names = fileNames(dtype, kv);
  const stampPath = join(dirname(target), names.stamp);
  const stampText = await readFile(stampPath, 'utf8').catch(() => null);
  const graphPresent = await stat(target).then(
    (info) => info.isFile(),
    () => false,
  );
  if (stampText === null || !graphPresent) {
    onBuild(target);
    return writeDecodeGraph(folder, dtype, kv);
  }
  let stamp: Partial<DecodeStamp>;
  try {
    stamp = JSON.parse(stampText) as Partial<DecodeStamp>;
  } catch {
    throw new ModelFolderError(
      stampPath,
      `is not valid JSON; delete it and onnx/${names.graph} to rebuild`,
    );
  }
  if (stamp.version !== DECODE_GRAPH_VERSION || stamp.shape?.join() !== shapeOf(folder).join()) {
    // Made by another warmgen version, or for another config.json: ours to remake.
    onBuild(target);
    return writeDecodeGraph(folder, dtype, kv);
  }
  const sourceSha256 = await sha256OfFile(folder.onnxPath);
  if (stamp.sourceSha256 !== sourceSha256) {
    throw new ModelFolderError(
      target,
      `is stale: it was made from another model.onnx (sha256 ${stamp.sourceSha256 ?? 'unknown'}, the folder's is ${sourceSha256}), so it would serve other weights; push the folder again (npm run model:push writes it) or delete ${names.graph} and ${names.stamp} to rebuild it at load`,
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

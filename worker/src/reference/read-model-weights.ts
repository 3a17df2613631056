import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Gpt2Shape } from '../model-builder/model-sizes.ts';
import { onnx } from '../model-builder/onnx-proto.ts';

/**
 * Reads a built model folder back the way a third party would: shape from config.json,
 * float weights from onnx/model.onnx initializers, inline or in the external data file.
 * The reference forward pass runs on these, so it checks what was written, not what the
 * builder meant to write.
 */
export interface StoredTensor {
  dims: number[];
  data: Float32Array;
}

export interface StoredModel {
  shape: Gpt2Shape;
  layerNormEpsilon: number;
  weights: Map<string, StoredTensor>;
}

type LongLike = number | { toNumber(): number };

const toNumber = (value: LongLike): number =>
  typeof value === 'number' ? value : value.toNumber();

export async function readModelWeights(modelDir: string): Promise<StoredModel> {
  const config = JSON.parse(await readFile(join(modelDir, 'config.json'), 'utf8'));
  const shape: Gpt2Shape = {
    nLayer: config.n_layer,
    nHead: config.n_head,
    nEmbd: config.n_embd,
    nPositions: config.n_positions,
    vocabSize: config.vocab_size,
  };
  const onnxDir = join(modelDir, 'onnx');
  const model = onnx.ModelProto.decode(await readFile(join(onnxDir, 'model.onnx')));
  const weights = new Map<string, StoredTensor>();
  for (const tensor of model.graph?.initializer ?? []) {
    if (tensor.dataType !== onnx.TensorProto.DataType.FLOAT || !tensor.name) {
      continue;
    }
    const dims = (tensor.dims as LongLike[]).map(toNumber);
    const count = dims.reduce((product, dim) => product * dim, 1);
    let data: Float32Array;
    if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
      data = await readExternal(onnxDir, tensor.externalData ?? [], count);
    } else if (tensor.rawData && tensor.rawData.byteLength > 0) {
      // Copy: decoded bytes may sit at an offset that is not a multiple of 4.
      data = new Float32Array(Uint8Array.from(tensor.rawData).buffer);
    } else {
      data = Float32Array.from(tensor.floatData ?? []);
    }
    if (data.length !== count) {
      throw new Error(`${tensor.name}: ${data.length} values for dims [${dims.join(', ')}]`);
    }
    weights.set(tensor.name, { dims, data });
  }
  return { shape, layerNormEpsilon: config.layer_norm_epsilon, weights };
}

async function readExternal(
  onnxDir: string,
  entries: { key?: string | null; value?: string | null }[],
  count: number,
): Promise<Float32Array> {
  const field = (key: string): string | undefined =>
    entries.find((e) => e.key === key)?.value ?? undefined;
  const location = field('location');
  if (!location) {
    throw new Error('external tensor without a location');
  }
  const offset = Number(field('offset') ?? 0);
  const length = Number(field('length') ?? count * 4);
  const bytes = new Uint8Array(length);
  const file = await open(join(onnxDir, location), 'r');
  try {
    const { bytesRead } = await file.read(bytes, 0, length, offset);
    if (bytesRead !== length) {
      throw new Error(`${location}: read ${bytesRead} of ${length} bytes at ${offset}`);
    }
  } finally {
    await file.close();
  }
  return new Float32Array(bytes.buffer);
}

export function weight(model: StoredModel, name: string): Float32Array {
  const tensor = model.weights.get(name);
  if (!tensor) {
    throw new Error(`the model has no weight named ${name}`);
  }
  return tensor.data;
}

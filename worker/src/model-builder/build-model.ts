import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { DECODE_GRAPH_VERSION } from './decode-graph.ts';
import { DECODE_STAMP_FILE, writeDecodeGraph } from './decode-graph-file.ts';
import { buildGpt2Graph } from './gpt2-graph.ts';
import {
  END_OF_TEXT_ID,
  isModelSize,
  MODEL_SIZE_NAMES,
  MODEL_SPECS,
  type ModelSize,
  type ModelSpec,
} from './model-sizes.ts';
import type { OnnxTypes } from './onnx-proto.ts';
import { onnx } from './onnx-proto.ts';
import { buildTokenizerFiles } from './tokenizer-files.ts';
import { elementCount, generateWeightArray, generateWeights, weightPlan } from './weight-plan.ts';

/**
 * Writes a GPT-2 model folder that transformers.js loads like a published export
 * (shared/docs/model-folder.md): real GPT-2 tokenizer, seeded random weights.
 * Same size and seed => byte-identical files.
 */
/**
 * The folder also holds warmgen's decode graph (decode-graph-file.ts), so a new decode
 * graph version is a new builder version: 3000 + DECODE_GRAPH_VERSION.
 */
export const BUILDER_VERSION = 3000 + DECODE_GRAPH_VERSION;
export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
export const EXTERNAL_DATA_FILE = 'model.onnx_data';
/** Offsets of tensors in the external data file are multiples of this (page size). */
const EXTERNAL_ALIGNMENT = 4096;

export interface BuildProgress {
  bytesWritten: number;
  totalBytes: number;
}

export interface BuildModelOptions {
  size: ModelSize;
  outDir: string;
  seed: number;
  onProgress?: (progress: BuildProgress) => void;
}

export interface BuildSummary {
  dir: string;
  parameters: number;
  /** Total bytes of every file written. */
  bytes: number;
  seconds: number;
}

export async function buildModelFolder(options: BuildModelOptions): Promise<BuildSummary> {
  const { size, outDir, seed, onProgress } = options;
  if (!isModelSize(size)) {
    throw new Error(
      `unknown model size ${JSON.stringify(size)}: expected one of ${MODEL_SIZE_NAMES.join(', ')}`,
    );
  }
  return writeModelFolder(MODEL_SPECS[size], { outDir, seed, size, onProgress });
}

/** buildModelFolder for any spec (tests use a tiny spec with external data). */
export async function writeModelFolder(
  spec: ModelSpec,
  options: {
    outDir: string;
    seed: number;
    size: string;
    onProgress?: (progress: BuildProgress) => void;
  },
): Promise<BuildSummary> {
  const started = performance.now();
  const { outDir, seed } = options;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`seed must be an integer in [0, 4294967295], got ${seed}`);
  }
  if (endianness() !== 'LE') {
    throw new Error(
      'ONNX raw tensor data is little-endian; this builder only runs on little-endian hosts',
    );
  }
  const onnxDir = join(outDir, 'onnx');
  try {
    await mkdir(onnxDir, { recursive: true });
  } catch (error) {
    throw new Error(`cannot create model folder ${outDir}: ${(error as Error).message}`, {
      cause: error,
    });
  }

  try {
    const { parameters, bytes } = await writeModelFiles(spec, outDir, seed, options);
    return { dir: outDir, parameters, bytes, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    throw new Error(`failed writing model folder ${outDir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function writeModelFiles(
  spec: ModelSpec,
  outDir: string,
  seed: number,
  options: { size: string; onProgress?: (progress: BuildProgress) => void },
): Promise<{ parameters: number; bytes: number }> {
  const onnxDir = join(outDir, 'onnx');
  const plan = weightPlan(spec);
  const parameters = plan.reduce((sum, entry) => sum + elementCount(entry.dims), 0);
  const graph = buildGpt2Graph(spec);
  const initializers: OnnxTypes.ITensorProto[] = [];
  let bytes = 0;
  if (spec.externalData) {
    const layout = externalLayout(plan.map((entry) => elementCount(entry.dims) * 4));
    let written = 0;
    const file = await open(join(onnxDir, EXTERNAL_DATA_FILE), 'w');
    try {
      for (const [index, entry] of plan.entries()) {
        const { offset, length } = layout.tensors[index]!;
        if (offset > written) {
          await file.write(new Uint8Array(offset - written));
          written = offset;
        }
        await generateWeights(entry, seed, async (chunk) => {
          await file.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          written += chunk.byteLength;
          options.onProgress?.({ bytesWritten: written, totalBytes: layout.totalBytes });
        });
        initializers.push({
          name: entry.name,
          dims: entry.dims,
          dataType: onnx.TensorProto.DataType.FLOAT,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: EXTERNAL_DATA_FILE },
            { key: 'offset', value: String(offset) },
            { key: 'length', value: String(length) },
          ],
        });
      }
    } finally {
      await file.close();
    }
    bytes += written;
  } else {
    for (const entry of plan) {
      const values = await generateWeightArray(entry, seed);
      initializers.push({
        name: entry.name,
        dims: entry.dims,
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
      });
    }
  }

  const model: OnnxTypes.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'warmgen-model-builder',
    producerVersion: String(BUILDER_VERSION),
    graph: {
      name: 'gpt2',
      node: graph.nodes,
      initializer: [...initializers, ...graph.constants],
      input: graph.inputs,
      output: graph.outputs,
    },
    metadataProps: [
      { key: 'warmgen.size', value: options.size },
      { key: 'warmgen.seed', value: String(seed) },
    ],
  };
  const modelBytes = onnx.ModelProto.encode(model).finish();
  await writeFile(join(onnxDir, 'model.onnx'), modelBytes);
  bytes += modelBytes.byteLength;
  const decodePath = await writeDecodeGraph({
    ...spec,
    dir: outDir,
    onnxPath: join(onnxDir, 'model.onnx'),
  });
  bytes += (await stat(decodePath)).size + (await stat(join(onnxDir, DECODE_STAMP_FILE))).size;

  const tokenizer = await buildTokenizerFiles(spec.nPositions);
  const textFiles: [string, string][] = [
    ['config.json', configJson(spec, options.size, seed)],
    ['generation_config.json', generationConfigJson()],
    ['tokenizer.json', tokenizer.tokenizerJson],
    ['tokenizer_config.json', tokenizer.tokenizerConfigJson],
  ];
  for (const [name, text] of textFiles) {
    await writeFile(join(outDir, name), text);
    bytes += Buffer.byteLength(text);
  }
  return { parameters, bytes };
}

function externalLayout(byteLengths: number[]): {
  tensors: { offset: number; length: number }[];
  totalBytes: number;
} {
  let cursor = 0;
  const tensors = byteLengths.map((length) => {
    const offset = Math.ceil(cursor / EXTERNAL_ALIGNMENT) * EXTERNAL_ALIGNMENT;
    cursor = offset + length;
    return { offset, length };
  });
  return { tensors, totalBytes: cursor };
}

/** Marker the cache uses to tell a current build from one made by an older builder. */
export interface BuilderStamp {
  version: number;
  size: string;
  seed: number;
}

function configJson(spec: ModelSpec, size: string, seed: number): string {
  const stamp: BuilderStamp = { version: BUILDER_VERSION, size, seed };
  const config = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: spec.vocabSize,
    n_positions: spec.nPositions,
    n_ctx: spec.nPositions,
    n_embd: spec.nEmbd,
    n_layer: spec.nLayer,
    n_head: spec.nHead,
    n_inner: null,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    tie_word_embeddings: true,
    bos_token_id: END_OF_TEXT_ID,
    eos_token_id: END_OF_TEXT_ID,
    'transformers.js_config': spec.externalData
      ? { dtype: 'fp32', use_external_data_format: true }
      : { dtype: 'fp32' },
    warmgen_builder: { ...stamp, random_weights: true },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

function generationConfigJson(): string {
  return `${JSON.stringify({ bos_token_id: END_OF_TEXT_ID, eos_token_id: END_OF_TEXT_ID }, null, 2)}\n`;
}

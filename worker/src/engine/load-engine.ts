import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InferenceSession, type Tensor } from 'onnxruntime-node';
import type { KvPlacement } from '../model-builder/decode-graph.ts';
import { ensureDecodeGraph } from '../model-builder/decode-graph-file.ts';
import type { DecodeForward } from './continuous-batch.ts';
import { DeviceKvSlots, deviceCacheNames } from './device-kv-slots.ts';
import type { EngineOptions, GenerationEngine } from './generation-engine.ts';
import { Gpt2GenerationEngine } from './gpt2-generation-engine.ts';
import { BEST_MEASURED_BATCH, defaultKvBudgetBytes, defaultMaxBatch } from './kv-budget.ts';
import { bytesPerRowColumn, type KvLayout } from './kv-slots.ts';
import { loadCodec } from './load-codec.ts';
import { checkModelFolder, type ModelFolder } from './model-folder.ts';
import { ModelFolderError } from './model-folder-error.ts';
import { sessionOptionsFor } from './session-options.ts';
import { describeGpus, describeWebGpuFailure, probeWebGpu } from './webgpu-probe.ts';

/**
 * Prompt tokens prefilled beside each decode step (continuous-batch.ts). Measured with
 * bench:engine's admission case on the 2-core machine: see the README's Benchmarks.
 */
export const DEFAULT_PREFILL_TOKENS_PER_STEP = 64;
/** With nothing decoding, one prefill pass may take this many prompt tokens. */
const IDLE_PREFILL_TOKENS = 512;

/**
 * Loads the tokenizer (transformers.js) and warmgen's decode graph (onnxruntime-node) ONCE
 * from a local folder, and returns the engine that keeps them warm. The folder is checked
 * first so a bad one fails with one ModelFolderError naming the file; a library error
 * while loading is wrapped the same way, keeping the original as `cause`.
 *
 * The graph is onnx/warmgen-decode.onnx (decode-graph.ts), written from the folder's
 * model.onnx if the folder has none yet. It is opened with onnxruntime directly rather than
 * through transformers.js: the library would look for external data named after the graph
 * (warmgen-decode.onnx_data), while the decode graph shares model.onnx_data; and its
 * generate() applies one set of parameters to a whole batch, where every row here has its
 * own and joins or leaves between steps.
 */
export async function loadEngine(
  options: EngineOptions,
  log: (message: string) => void = () => {},
): Promise<GenerationEngine> {
  if (options.device === 'webgpu') {
    const missing = await probeWebGpu();
    if (missing !== null) {
      throw new DeviceError(`DEVICE=webgpu: ${missing}`);
    }
  }
  const folder = await checkModelFolder(resolve(options.modelDir));
  const layout = kvLayoutOf(folder);
  const kvPlacement = options.kvPlacement ?? (options.device === 'webgpu' ? 'device' : 'host');
  const kvBudgetBytes = options.kvBudgetBytes ?? defaultKvBudgetBytes(await weightBytesOf(folder));
  const fullRowBytes = folder.nPositions * bytesPerRowColumn(layout);
  if (!(kvBudgetBytes >= fullRowBytes)) {
    throw new KvBudgetError(kvBudgetBytes, fullRowBytes, folder.nPositions);
  }
  const maxBatchSize =
    options.maxBatchSize ??
    (kvPlacement === 'device'
      ? // The device cache holds every slot at full length (device-kv-slots.ts).
        Math.min(BEST_MEASURED_BATCH, Math.floor(kvBudgetBytes / fullRowBytes))
      : defaultMaxBatch(kvBudgetBytes, bytesPerRowColumn(layout)));
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new Error(`maxBatchSize must be an integer >= 1, got ${maxBatchSize}`);
  }
  log(
    `KV cache budget ${(kvBudgetBytes / 2 ** 20).toFixed(0)} MB${options.kvBudgetBytes === undefined ? ' (default: half the memory left after the model)' : ''}, up to ${maxBatchSize} running rows${options.maxBatchSize === undefined ? ' (default)' : ''}`,
  );
  const codec = await loadCodec(folder);
  const graphPath = await ensureDecodeGraph(
    folder,
    (path) => log(`writing the decode graph ${path} (once per model folder)`),
    options.dtype ?? 'fp32',
    kvPlacement,
  );
  const contract = decodeContract(layout, kvPlacement);
  const session = await InferenceSession.create(
    graphPath,
    sessionOptionsFor(options.device, {
      intraOpThreads: options.intraOpThreads,
      gpuResidentOutputs: options.device === 'webgpu' ? contract.cacheOutputs : [],
    }),
  ).catch((error: unknown) => {
    if (options.device === 'webgpu') {
      throw new DeviceError(`DEVICE=webgpu: ${describeWebGpuFailure(messageOf(error))}`, {
        cause: error,
      });
    }
    if (options.device === 'cuda') {
      throw new Error(
        `device cuda: the model could not be loaded with the CUDA execution provider (is onnxruntime-node installed with --onnxruntime-node-install=cuda12 and a GPU present?): ${messageOf(error)}`,
        { cause: error },
      );
    }
    throw new ModelFolderError(graphPath, `could not be loaded: ${messageOf(error)}`, {
      cause: error,
    });
  });

  if (options.device === 'webgpu') {
    log(`DEVICE=webgpu: a WebGPU adapter was found (${describeGpus()}); the KV cache stays on it`);
  }
  try {
    const forward = forwardOf(session, contract, graphPath);
    return new Gpt2GenerationEngine({
      forward,
      codec,
      maxBatchSize,
      maxPositions: folder.nPositions,
      vocabSize: folder.vocabSize,
      eosTokenId: folder.eosTokenId,
      ignoreEos: options.ignoreEos ?? false,
      kvBudgetBytes,
      prefillTokensPerStep: options.prefillTokensPerStep ?? DEFAULT_PREFILL_TOKENS_PER_STEP,
      idlePrefillTokens: IDLE_PREFILL_TOKENS,
      release: async () => {
        await session.release();
      },
    });
  } catch (error) {
    await session.release();
    throw error;
  }
}

/** Bytes of the folder's model.onnx and its external data files. */
async function weightBytesOf(folder: ModelFolder): Promise<number> {
  const dir = dirname(folder.onnxPath);
  const names = await readdir(dir);
  let bytes = 0;
  for (const name of names) {
    if (name === 'model.onnx' || name.startsWith('model.onnx_data')) {
      bytes += (await stat(join(dir, name))).size;
    }
  }
  return bytes;
}

/** KV_CACHE_MB (or the engine option) cannot hold one row at the model's full length. */
export class KvBudgetError extends Error {
  override readonly name = 'KvBudgetError';
  constructor(budgetBytes: number, fullRowBytes: number, positions: number) {
    const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    super(
      `KV_CACHE_MB is ${mb(budgetBytes)} MB, too small for one row at the model's ${positions} positions (${mb(fullRowBytes)} MB): set KV_CACHE_MB to at least ${Math.ceil(fullRowBytes / 2 ** 20)}`,
    );
  }
}

export function kvLayoutOf(folder: Pick<ModelFolder, 'nLayer' | 'nHead' | 'nEmbd'>): KvLayout {
  const pastNames: string[] = [];
  const newNames: string[] = [];
  for (let layer = 0; layer < folder.nLayer; layer++) {
    for (const kind of ['key', 'value']) {
      pastNames.push(`past_key_values.${layer}.${kind}`);
      newNames.push(`new_${kind}.${layer}`);
    }
  }
  return { pastNames, newNames, nHead: folder.nHead, headDim: folder.nEmbd / folder.nHead };
}

/** The decode graph's inputs and outputs for a KV placement (decode-graph.ts). */
interface DecodeContract {
  layout: KvLayout;
  kvPlacement: KvPlacement;
  inputs: string[];
  /** The outputs the engine fetches: logits first. */
  outputs: string[];
  /** The outputs that are the next step's cache (device placement): never read by JS. */
  cacheOutputs: string[];
}

function decodeContract(layout: KvLayout, kvPlacement: KvPlacement): DecodeContract {
  const inputs = ['input_ids', 'position_ids', 'attention_bias', 'logits_index'];
  if (kvPlacement === 'host') {
    return {
      layout,
      kvPlacement,
      inputs: [...inputs, ...layout.pastNames],
      outputs: ['logits', ...layout.newNames],
      cacheOutputs: [],
    };
  }
  const { inputs: cache, outputs: cacheOutputs } = deviceCacheNames(layout);
  return {
    layout,
    kvPlacement,
    inputs: [...inputs, 'slot_ids', 'write_index', ...cache],
    outputs: ['logits', ...cacheOutputs],
    cacheOutputs,
  };
}

/** Checks the graph against the decode contract, then wraps its run(). */
function forwardOf(
  session: InferenceSession,
  contract: DecodeContract,
  graphPath: string,
): DecodeForward {
  const missing = [
    ...contract.inputs.filter((name) => !session.inputNames.includes(name)),
    ...contract.outputs.filter((name) => !session.outputNames.includes(name)),
  ];
  if (missing.length > 0) {
    throw new ModelFolderError(
      graphPath,
      `does not follow the decode graph contract: missing ${missing.join(', ')}`,
    );
  }
  const { layout, outputs } = contract;
  return {
    layout,
    run: async (feeds) => (await session.run(feeds, outputs)) as Record<string, Tensor>,
    ...(contract.kvPlacement === 'device'
      ? {
          createKvStore: (maxSlots: number, maxColumns: number) =>
            new DeviceKvSlots(layout, maxSlots, maxColumns),
        }
      : {}),
  };
}

/** DEVICE names a provider that cannot run here: start-up stops with this. */
export class DeviceError extends Error {
  override readonly name = 'DeviceError';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

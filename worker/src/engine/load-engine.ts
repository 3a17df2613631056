import { resolve } from 'node:path';
import { AutoModelForCausalLM } from '@huggingface/transformers';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { ForwardPass } from './batched-decode.ts';
import type { EngineOptions, GenerationEngine } from './generation-engine.ts';
import { Gpt2GenerationEngine } from './gpt2-generation-engine.ts';
import type { CacheLayout } from './kv-cache-batch.ts';
import { loadCodec } from './load-codec.ts';
import { checkModelFolder, type ModelFolder } from './model-folder.ts';
import { ModelFolderError } from './model-folder-error.ts';
import { sessionOptionsFor } from './session-options.ts';

/**
 * Prefill logits beyond this are split into row groups. 128 MiB holds a full batch of 32
 * prompts of 20 tokens, or one 650-token prompt; onnxruntime holds a second copy while
 * handing the output over, so the peak is about twice this.
 */
const PREFILL_LOGITS_BYTES = 32 * 1024 * 1024;
/**
 * Default cap on the KV cache one forward pass produces (see batch-plan.ts). 96 MiB is 16
 * rows of 80 columns of GPT-2 small: a batch of 32 short requests decodes in two passes
 * of 16 per step, which keeps the worker under 1.5 GB at about the same tokens/s (at 16
 * rows a pass is already compute-bound on 2 cores). Longer rows mean fewer rows per pass.
 */
const DEFAULT_KV_BYTES_PER_PASS = 96 * 1024 * 1024;

/**
 * Loads the tokenizer and GPT-2 graph ONCE from a local folder with transformers.js on
 * onnxruntime-node, and returns the engine that keeps them warm. The folder is checked
 * first so a bad one fails with one ModelFolderError naming the file; a library error
 * while loading is wrapped the same way, keeping the original as `cause`.
 *
 * The decode loop calls the loaded onnxruntime session directly (transformers.js's
 * generate() applies one set of parameters to the whole batch and keeps finished rows
 * computing); transformers.js still owns file resolution, device and dtype selection.
 */
export async function loadEngine(options: EngineOptions): Promise<GenerationEngine> {
  if (!Number.isInteger(options.maxBatchSize) || options.maxBatchSize < 1) {
    throw new Error(`maxBatchSize must be an integer >= 1, got ${options.maxBatchSize}`);
  }
  const folder = await checkModelFolder(resolve(options.modelDir));
  const codec = await loadCodec(folder);
  const model = await AutoModelForCausalLM.from_pretrained(folder.dir, {
    local_files_only: true,
    device: options.device,
    dtype: folder.dtype as 'fp32',
    session_options: sessionOptionsFor(options.device, { intraOpThreads: options.intraOpThreads }),
  }).catch((error: unknown) => {
    if (options.device === 'cuda') {
      throw new Error(
        `device cuda: the model could not be loaded with the CUDA execution provider (is onnxruntime-node installed with --onnxruntime-node-install=cuda12 and a GPU present?): ${messageOf(error)}`,
        { cause: error },
      );
    }
    throw new ModelFolderError(folder.onnxPath, `could not be loaded: ${messageOf(error)}`, {
      cause: error,
    });
  });

  try {
    const session = model.sessions.model as InferenceSession | undefined;
    if (!session) {
      throw new ModelFolderError(folder.onnxPath, 'no "model" session was created from it');
    }
    const forward = forwardPassOf(session, folder);
    return new Gpt2GenerationEngine({
      forward,
      codec,
      maxBatchSize: options.maxBatchSize,
      maxPositions: folder.nPositions,
      vocabSize: folder.vocabSize,
      eosTokenId: folder.eosTokenId,
      ignoreEos: options.ignoreEos ?? false,
      prefillLogitsBytes: PREFILL_LOGITS_BYTES,
      kvBytesPerPass: options.kvBytesPerPass ?? DEFAULT_KV_BYTES_PER_PASS,
      release: async () => {
        await model.dispose();
      },
    });
  } catch (error) {
    await model.dispose();
    throw error;
  }
}

/** Checks the graph against the GPT-2 contract, then wraps its run(). */
function forwardPassOf(session: InferenceSession, folder: ModelFolder): ForwardPass {
  const pastNames: string[] = [];
  const presentNames: string[] = [];
  const layout: CacheLayout = {
    pastNames,
    presentNames,
    nHead: folder.nHead,
    headDim: folder.nEmbd / folder.nHead,
  };
  const missing: string[] = [];
  const requireName = (names: readonly string[], name: string) => {
    if (!names.includes(name)) {
      missing.push(name);
    }
  };
  requireName(session.inputNames, 'input_ids');
  requireName(session.inputNames, 'attention_mask');
  requireName(session.outputNames, 'logits');
  for (let layer = 0; layer < folder.nLayer; layer++) {
    for (const kind of ['key', 'value']) {
      const past = `past_key_values.${layer}.${kind}`;
      const present = `present.${layer}.${kind}`;
      requireName(session.inputNames, past);
      requireName(session.outputNames, present);
      pastNames.push(past);
      presentNames.push(present);
    }
  }
  if (missing.length > 0) {
    throw new ModelFolderError(
      folder.onnxPath,
      `graph does not match config.json (n_layer ${folder.nLayer}): missing ${missing.join(', ')}`,
    );
  }
  const cacheInput = session.inputMetadata.find((meta) => meta.name === layout.pastNames[0]);
  if (cacheInput?.isTensor && cacheInput.type !== 'float32') {
    throw new ModelFolderError(
      folder.onnxPath,
      `past_key_values are ${cacheInput.type}; the engine needs a float32 KV cache`,
    );
  }

  const inputNames = new Set(session.inputNames);
  const fetches = [...session.outputNames];
  return {
    layout,
    run: async (feeds) => {
      const used: Record<string, Tensor> = {};
      for (const [name, tensor] of Object.entries(feeds)) {
        if (inputNames.has(name)) {
          used[name] = tensor;
        }
      }
      return (await session.run(used, fetches)) as Record<string, Tensor>;
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

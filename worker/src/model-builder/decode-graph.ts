import { createGraphBuilder, ELEMENT_FLOAT, ELEMENT_INT64, valueInfo } from './graph-builder.ts';
import { type Gpt2Shape, headDim } from './model-sizes.ts';
import type { OnnxTypes } from './onnx-proto.ts';

/**
 * warmgen's decode graph: the same GPT-2 weights as onnx/model.onnx, wired for the engine's
 * continuous batching over a KV cache that is never copied by a step.
 *
 * Attention reads the cache as it lies in the engine's buffers (kv-slots.ts) and never
 * concatenates it with the step's new keys and values: scores over the cached columns and
 * over the new columns are computed apart and joined (only the small score rows are
 * concatenated), so onnxruntime does not copy the cache into a `present` tensor each step
 * (the Concat that cost 40% of a step at 32 rows x 400 past, and the copy onnxruntime-node
 * 1.30 makes of every fetched output). The graph returns only the new columns
 * (new_key/new_value), which the engine writes into its buffers. The scores read the cached
 * keys through com.microsoft FusedMatMul's transB, so keys are cached like values
 * ([columns, headDim] per head) and each new column is one contiguous write (keys cached
 * transposed made that write a strided scalar loop: 13 ms of every 32-row step).
 *
 * Considered and dropped: com.microsoft GroupQueryAttention with a shared past/present
 * buffer. It appends in place, but onnxruntime-node 1.30 copies every fetched output into a
 * fresh JS ArrayBuffer, so the preallocated present (the whole cache) was copied each step
 * anyway: measured 0.98-1.18 s per step at 32 rows x 544 columns against 0.21 s without it.
 *
 * Fused with onnxruntime's contrib operators (onnxruntime fuses none of these at load for a
 * plain GPT-2 export, platform-facts.md): SkipLayerNormalization (residual add + bias +
 * LayerNorm) and FastGelu (bias + GPT-2's tanh GELU).
 *
 * Contract (load-engine.ts checks it):
 *   inputs  input_ids, position_ids int64 [batch, seq]; attention_bias float
 *           [batch, 1, seq, past + seq] (0 where a query may attend, -1e9 elsewhere: cached
 *           columns beyond the row's length, later new tokens); logits_index int64 [rows]
 *           (flat indices b * seq + position of the positions whose logits are wanted: one
 *           per row when decoding);
 *           past_key_values.{i}.key / .value float [batch, heads, past, headDim]
 *   outputs logits float [rows, vocab]; new_key.{i} / new_value.{i} [batch, heads, seq, headDim]
 */
export const DECODE_GRAPH_VERSION = 6;

/**
 * Where the KV cache lives between steps:
 * - 'host' (cpu, cuda): the engine's buffers (kv-slots.ts), fed as past_key_values.* views
 *   and appended with the new_* outputs, as described above.
 * - 'device' (webgpu): the graph owns the cache. It takes the whole cache of every slot,
 *   kv_cache.{i}.key / .value [slots, columns + 1, heads, headDim], and returns it with the
 *   step's new columns written in (kv_cache_next.*, by ONNX ScatterND), which the
 *   engine feeds back next step without reading it: with onnxruntime-node's
 *   preferredOutputLocation 'gpu-buffer' the cache never leaves the GPU. The binding gives
 *   JavaScript no way to copy, slice or write a GPU tensor, so nothing a row does may need
 *   that: a pass names its rows' slots (slot_ids [batch], gathered), and where each new
 *   column goes (write_index [batch, seq, 2]: slot and column; padding goes to the last,
 *   never-attended column). Rows keep their slot from admission to the end, so moving a
 *   row is renaming it (device-kv-slots.ts). The cached columns read are the first
 *   total_length - sequence_length of each gathered slot (attention_bias's shape says how
 *   many). Plain Transpose + MatMul instead of FusedMatMul, which the WebGPU provider lacks
 *   (onnxruntime 1.30's contrib kernels for it: Attention, SkipLayerNormalization, FastGelu,
 *   MatMulNBits, ...; an operator it lacks would run on the CPU provider, with the cache
 *   copied across for it every step).
 */
export type KvPlacement = 'host' | 'device';

/**
 * Weights of the decode graph: fp32 as exported, or q8 (opt-in, MODEL_DTYPE=q8): every
 * linear layer and the tied head with 8-bit weights, in the form each placement computes
 * fastest. Embeddings, LayerNorms and biases stay fp32. Its accuracy against fp32 is
 * printed by bench:engine.
 * - host (CPU): com.microsoft DynamicQuantizeMatMul, int8 weights [K, N] with one fp32
 *   scale per output column (symmetric), activations quantized to uint8 per call. It runs
 *   on MLAS's integer GEMM (VNNI/AMX where the CPU has them): on the 2-core machine, the
 *   linear layers of 12 GPT-2-small blocks at 32 rows took 28 ms against 47 for
 *   MatMulNBits and 122 for fp32 (minimum of 15 interleaved runs; 8 rows: 6.0 vs 15.4 vs
 *   32.3; 1 row: 6.6 vs 6.3 vs 23.8). MatMulNBits (8 bits, blocks of 32 along K,
 *   accuracy_level 4), the first q8, was dropped for it on the host.
 * - device (WebGPU): MatMulNBits as above, which the WebGPU provider has (it lacks
 *   DynamicQuantizeMatMul): blocks of Q8_BLOCK_SIZE along K, one scale per block,
 *   symmetric around zero point 128.
 */
export type DecodeDtype = 'fp32' | 'q8';
export const Q8_BLOCK_SIZE = 32;

/** The linear weights q8 quantizes: [name, K (inputs), N (outputs)], rows of N along K. */
export function quantizedWeightShapes(shape: Gpt2Shape): Array<[string, number, number]> {
  const { nLayer, nEmbd, vocabSize } = shape;
  const list: Array<[string, number, number]> = [];
  for (let i = 0; i < nLayer; i++) {
    const p = `transformer.h.${i}`;
    list.push(
      [`${p}.attn.c_attn.weight`, nEmbd, 3 * nEmbd],
      [`${p}.attn.c_proj.weight`, nEmbd, nEmbd],
      [`${p}.mlp.c_fc.weight`, nEmbd, 4 * nEmbd],
      [`${p}.mlp.c_proj.weight`, 4 * nEmbd, nEmbd],
    );
  }
  // The tied head: wte is [vocab, n_embd], already one row per output.
  list.push(['transformer.wte.weight', nEmbd, vocabSize]);
  return list;
}
export const MS_DOMAIN = 'com.microsoft';
const LAYER_NORM_EPSILON = 1e-5;

/** Hugging Face's GPT-2 state-dict names, which the stand-in builder also uses. */
export function gpt2WeightNames(nLayer: number): string[] {
  const names = ['transformer.wte.weight', 'transformer.wpe.weight'];
  for (let i = 0; i < nLayer; i++) {
    const p = `transformer.h.${i}`;
    for (const part of ['ln_1', 'attn.c_attn', 'attn.c_proj', 'ln_2', 'mlp.c_fc', 'mlp.c_proj']) {
      names.push(`${p}.${part}.weight`, `${p}.${part}.bias`);
    }
  }
  names.push('transformer.ln_f.weight', 'transformer.ln_f.bias');
  return names;
}

export interface DecodeGraphParts {
  nodes: OnnxTypes.INodeProto[];
  constants: OnnxTypes.ITensorProto[];
  inputs: OnnxTypes.IValueInfoProto[];
  outputs: OnnxTypes.IValueInfoProto[];
}

export function buildDecodeGraph(
  shape: Gpt2Shape,
  dtype: DecodeDtype = 'fp32',
  kv: KvPlacement = 'host',
): DecodeGraphParts {
  const g = createGraphBuilder();
  const { nLayer, nHead, nEmbd, vocabSize } = shape;
  const dHead = headDim(shape);
  if (!Number.isInteger(dHead)) {
    throw new Error(`n_embd ${nEmbd} is not divisible by n_head ${nHead}`);
  }
  const inputs = [
    valueInfo('input_ids', ELEMENT_INT64, ['batch_size', 'sequence_length']),
    valueInfo('position_ids', ELEMENT_INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_bias', ELEMENT_FLOAT, [
      'batch_size',
      1,
      'sequence_length',
      'total_length',
    ]),
    // One entry per wanted position: the engine asks one per row; the q8 accuracy check
    // asks for every position of a sequence.
    valueInfo('logits_index', ELEMENT_INT64, ['logit_rows']),
  ];
  const outputs = [valueInfo('logits', ELEMENT_FLOAT, ['logit_rows', vocabSize])];
  if (kv === 'device') {
    inputs.push(
      valueInfo('slot_ids', ELEMENT_INT64, ['batch_size']),
      valueInfo('write_index', ELEMENT_INT64, ['batch_size', 'sequence_length', 2]),
    );
  }
  for (let i = 0; i < nLayer; i++) {
    for (const kind of ['key', 'value']) {
      if (kv === 'device') {
        const dims = ['slots', 'columns', nHead, dHead];
        inputs.push(valueInfo(`kv_cache.${i}.${kind}`, ELEMENT_FLOAT, dims));
        outputs.push(valueInfo(`kv_cache_next.${i}.${kind}`, ELEMENT_FLOAT, dims));
      } else {
        const dims = ['batch_size', nHead, 'past_length', dHead];
        inputs.push(valueInfo(`past_key_values.${i}.${kind}`, ELEMENT_FLOAT, dims));
      }
    }
    if (kv === 'host') {
      const newDims = ['batch_size', nHead, 'sequence_length', dHead];
      outputs.push(
        valueInfo(`new_key.${i}`, ELEMENT_FLOAT, newDims),
        valueInfo(`new_value.${i}`, ELEMENT_FLOAT, newDims),
      );
    }
  }
  const headsShape = g.int64s([0, 0, nHead, dHead]);
  const toHeads = (x: string, name?: string): string =>
    g.op('Transpose', [g.op('Reshape', [x, headsShape])], { perm: [0, 2, 1, 3] }, name);
  // The cached columns' count, to split the softmax between cached and new columns.
  const totalLength = g.op('Shape', ['attention_bias'], { start: 3, end: 4 });
  const pastLength =
    kv === 'host'
      ? g.op('Shape', ['past_key_values.0.value'], { start: 2, end: 3 })
      : g.op('Sub', [totalLength, g.op('Shape', ['input_ids'], { start: 1, end: 2 })]);
  const lastAxis = g.int64s([-1]);
  const zero = g.int64s([0]);
  const ms = (opType: string, ins: string[], outCount: number, attrs = {}): string[] => {
    const outs = g.opMulti(opType, ins, outCount, attrs);
    g.nodes.at(-1)!.domain = MS_DOMAIN;
    return outs;
  };
  const dims = new Map(quantizedWeightShapes(shape).map(([name, k, n]) => [name, [k, n] as const]));
  /** x @ weight, fp32 or through the weight's q8 form. */
  const matMul = (input: string, weight: string): string => {
    if (dtype === 'fp32') {
      return g.op('MatMul', [input, weight]);
    }
    if (kv === 'host') {
      return ms('DynamicQuantizeMatMul', [input, `${weight}.q8`, `${weight}.scales`], 1)[0]!;
    }
    const [k, n] = dims.get(weight)!;
    return ms('MatMulNBits', [input, `${weight}.q8`, `${weight}.scales`], 1, {
      K: k,
      N: n,
      bits: 8,
      block_size: Q8_BLOCK_SIZE,
      accuracy_level: 4,
    })[0]!;
  };

  const tokens = g.op('Gather', ['transformer.wte.weight', 'input_ids'], { axis: 0 });
  const positions = g.op('Gather', ['transformer.wpe.weight', 'position_ids'], { axis: 0 });
  /** The residual stream, and the pending branch output + bias not yet added to it. */
  let residual = g.op('Add', [tokens, positions]);
  let normed = g.op(
    'LayerNormalization',
    [residual, 'transformer.h.0.ln_1.weight', 'transformer.h.0.ln_1.bias'],
    { axis: -1, epsilon: { float: LAYER_NORM_EPSILON } },
  );
  const skipNorm = (branch: string, bias: string, ln: string): void => {
    // Outputs: normalized, mean, inverse std dev, and the sum (the new residual stream).
    const [out, , , sum] = ms(
      'SkipLayerNormalization',
      [branch, residual, `${ln}.weight`, `${ln}.bias`, bias],
      4,
      { epsilon: { float: LAYER_NORM_EPSILON } },
    );
    normed = out!;
    residual = sum!;
  };
  for (let layer = 0; layer < nLayer; layer++) {
    const p = `transformer.h.${layer}`;
    const qkv = g.op('Add', [matMul(normed, `${p}.attn.c_attn.weight`), `${p}.attn.c_attn.bias`]);
    const [q, k, v] = g.opMulti('Split', [qkv, g.int64s([nEmbd, nEmbd, nEmbd])], 3, { axis: 2 });
    // Scaling q (seq x headDim values) is cheaper than scaling the scores.
    const query = g.op('Mul', [toHeads(q!), g.floatScalar(1 / Math.sqrt(dHead))]);
    const key = toHeads(k!, kv === 'host' ? `new_key.${layer}` : undefined);
    const value = toHeads(v!, kv === 'host' ? `new_value.${layer}` : undefined);
    let cachedScores: string;
    let cachedValues: string;
    if (kv === 'host') {
      // query x cached keys^T without materializing the transpose (com.microsoft FusedMatMul).
      cachedScores = ms('FusedMatMul', [query, `past_key_values.${layer}.key`], 1, {
        transB: 1,
      })[0]!;
      cachedValues = `past_key_values.${layer}.value`;
    } else {
      // The pass's slots, their first pastLength columns: [batch, past, heads, headDim].
      const cached = (kind: string): string =>
        g.op('Slice', [
          g.op('Gather', [`kv_cache.${layer}.${kind}`, 'slot_ids'], { axis: 0 }),
          zero,
          pastLength,
          g.int64s([1]),
        ]);
      const cachedKeys = g.op('Transpose', [cached('key')], { perm: [0, 2, 3, 1] });
      cachedScores = g.op('MatMul', [query, cachedKeys]);
      cachedValues = g.op('Transpose', [cached('value')], { perm: [0, 2, 1, 3] });
      // The new columns, [batch, seq, heads, headDim], written where write_index says.
      for (const [kind, columns] of [
        ['key', k!],
        ['value', v!],
      ] as const) {
        g.op(
          'ScatterND',
          [`kv_cache.${layer}.${kind}`, 'write_index', g.op('Reshape', [columns, headsShape])],
          {},
          `kv_cache_next.${layer}.${kind}`,
        );
      }
    }
    const newScores = g.op('MatMul', [query, g.op('Transpose', [key], { perm: [0, 1, 3, 2] })]);
    const scores = g.op('Concat', [cachedScores, newScores], { axis: -1 });
    const probs = g.op('Softmax', [g.op('Add', [scores, 'attention_bias'])], { axis: -1 });
    const cachedProbs = g.op('Slice', [probs, zero, pastLength, lastAxis]);
    const newProbs = g.op('Slice', [probs, pastLength, totalLength, lastAxis]);
    const heads = g.op('Add', [
      g.op('MatMul', [cachedProbs, cachedValues]),
      g.op('MatMul', [newProbs, value]),
    ]);
    const merged = g.op('Reshape', [
      g.op('Transpose', [heads], { perm: [0, 2, 1, 3] }),
      g.int64s([0, 0, nEmbd]),
    ]);
    const attnOut = matMul(merged, `${p}.attn.c_proj.weight`);
    skipNorm(attnOut, `${p}.attn.c_proj.bias`, `${p}.ln_2`);
    const fc = matMul(normed, `${p}.mlp.c_fc.weight`);
    const [gelu] = ms('FastGelu', [fc, `${p}.mlp.c_fc.bias`], 1);
    const mlpOut = matMul(gelu!, `${p}.mlp.c_proj.weight`);
    const nextNorm = layer + 1 < nLayer ? `transformer.h.${layer + 1}.ln_1` : 'transformer.ln_f';
    skipNorm(mlpOut, `${p}.mlp.c_proj.bias`, nextNorm);
  }

  // Only the positions whose next token is wanted go through the 50257-wide head.
  const flat = g.op('Reshape', [normed, g.int64s([-1, nEmbd])]);
  const picked = g.op('Gather', [flat, 'logits_index'], { axis: 0 });
  if (dtype === 'fp32') {
    g.op('Gemm', [picked, 'transformer.wte.weight'], { transB: 1 }, 'logits');
  } else {
    matMul(picked, 'transformer.wte.weight');
    g.nodes.at(-1)!.output = ['logits'];
  }
  return { nodes: g.nodes, constants: g.constants, inputs, outputs };
}

/** The decode graph as a model over the given weight initializers (reused as they are). */
export function decodeModelProto(
  shape: Gpt2Shape,
  weights: readonly OnnxTypes.ITensorProto[],
  metadata: Record<string, string>,
  dtype: DecodeDtype = 'fp32',
  kv: KvPlacement = 'host',
): OnnxTypes.IModelProto {
  const graph = buildDecodeGraph(shape, dtype, kv);
  return {
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: MS_DOMAIN, version: 1 },
    ],
    producerName: 'warmgen-decode-graph',
    producerVersion: String(DECODE_GRAPH_VERSION),
    graph: {
      name: 'gpt2_decode',
      node: graph.nodes,
      initializer: [...weights, ...graph.constants],
      input: graph.inputs,
      output: graph.outputs,
    },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  };
}

import {
  createGraphBuilder,
  ELEMENT_BOOL,
  ELEMENT_FLOAT,
  ELEMENT_INT64,
  type GraphBuilder,
  valueInfo,
} from './graph-builder.ts';
import { type Gpt2Shape, headDim } from './model-sizes.ts';
import type { OnnxTypes } from './onnx-proto.ts';

/**
 * The GPT-2 forward pass as an ONNX graph, following the contract transformers.js expects
 * of a decoder-only export (see shared/docs/model-folder.md):
 *   inputs  input_ids, attention_mask, position_ids [int64], past_key_values.{i}.key/.value
 *   outputs logits, present.{i}.key/.value
 * Only the batch dimension is named `batch_size`: the library fills that one in when it
 * builds the empty first-step cache and sets every other symbolic dimension to 0, so head
 * count and head size are fixed numbers.
 */
export interface GraphParts {
  nodes: OnnxTypes.INodeProto[];
  /** Small constants (shapes, scalars) the graph needs besides the weights. */
  constants: OnnxTypes.ITensorProto[];
  inputs: OnnxTypes.IValueInfoProto[];
  outputs: OnnxTypes.IValueInfoProto[];
}

const LAYER_NORM_EPSILON = 1e-5;
/** Added to the scores of masked keys; exp() of it underflows to exactly 0. */
const MASKED_SCORE = -1e9;

export function buildGpt2Graph(shape: Gpt2Shape): GraphParts {
  const g = createGraphBuilder();
  const { nLayer, nHead, nEmbd, vocabSize } = shape;
  const dHead = headDim(shape);
  if (!Number.isInteger(dHead)) {
    throw new Error(`n_embd ${nEmbd} is not divisible by n_head ${nHead}`);
  }

  const inputs = [
    valueInfo('input_ids', ELEMENT_INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', ELEMENT_INT64, ['batch_size', 'total_sequence_length']),
    valueInfo('position_ids', ELEMENT_INT64, ['batch_size', 'sequence_length']),
  ];
  const outputs = [
    valueInfo('logits', ELEMENT_FLOAT, ['batch_size', 'sequence_length', vocabSize]),
  ];
  for (let i = 0; i < nLayer; i++) {
    for (const kind of ['key', 'value']) {
      inputs.push(
        valueInfo(`past_key_values.${i}.${kind}`, ELEMENT_FLOAT, [
          'batch_size',
          nHead,
          'past_sequence_length',
          dHead,
        ]),
      );
      outputs.push(
        valueInfo(`present.${i}.${kind}`, ELEMENT_FLOAT, [
          'batch_size',
          nHead,
          'total_sequence_length',
          dHead,
        ]),
      );
    }
  }

  const tokens = g.op('Gather', ['transformer.wte.weight', 'input_ids'], { axis: 0 });
  const positions = g.op('Gather', ['transformer.wpe.weight', 'position_ids'], { axis: 0 });
  let hidden = g.op('Add', [tokens, positions]);
  const maskBias = attentionBias(g);

  for (let layer = 0; layer < nLayer; layer++) {
    const p = `transformer.h.${layer}`;
    const attnIn = layerNorm(g, hidden, `${p}.ln_1`);
    const attnOut = attention(g, attnIn, maskBias, layer, shape);
    hidden = g.op('Add', [hidden, attnOut]);
    const mlpIn = layerNorm(g, hidden, `${p}.ln_2`);
    const fc = linear(g, mlpIn, `${p}.mlp.c_fc`);
    hidden = g.op('Add', [hidden, linear(g, geluTanh(g, fc), `${p}.mlp.c_proj`)]);
  }

  // Tied head: logits = ln_f(h) @ wte^T. Gemm wants 2-D, so flatten [B,S,E] -> [B*S,E]
  // and restore [B,S,V] afterwards.
  const final = layerNorm(g, hidden, 'transformer.ln_f');
  const flat = g.op('Reshape', [final, g.int64s([-1, nEmbd])]);
  const flatLogits = g.op('Gemm', [flat, 'transformer.wte.weight'], { transB: 1 });
  const idsShape = g.op('Shape', ['input_ids']);
  const logitsShape = g.op('Concat', [idsShape, g.int64s([vocabSize])], { axis: 0 });
  g.op('Reshape', [flatLogits, logitsShape], {}, 'logits');

  return { nodes: g.nodes, constants: g.constants, inputs, outputs };
}

/**
 * [B,1,S,T] float: 0 where query i may attend key j, MASKED_SCORE elsewhere. Query i sits
 * at absolute index P+i (P = T-S cached positions); it sees keys j <= P+i whose
 * attention_mask is 1, so left padding is excluded everywhere.
 */
function attentionBias(g: GraphBuilder): string {
  const axis0 = g.int64s([0]);
  const seqLen = g.op('Squeeze', [g.op('Shape', ['input_ids'], { start: 1, end: 2 }), axis0]);
  const totalLen = g.op('Squeeze', [
    g.op('Shape', ['attention_mask'], { start: 1, end: 2 }),
    axis0,
  ]);
  const pastLen = g.op('Sub', [totalLen, seqLen]);
  const one = g.int64Scalar(1);
  const keyIndex = g.op('Range', [g.int64Scalar(0), totalLen, one]);
  const queryIndex = g.op('Unsqueeze', [g.op('Range', [pastLen, totalLen, one]), g.int64s([1])]);
  const causal = g.op('LessOrEqual', [keyIndex, queryIndex]);
  const notPadding = g.op('Unsqueeze', [
    g.op('Cast', ['attention_mask'], { to: ELEMENT_BOOL }),
    g.int64s([1, 2]),
  ]);
  const allowed = g.op('And', [causal, notPadding]);
  return g.op('Where', [allowed, g.floatScalar(0), g.floatScalar(MASKED_SCORE)]);
}

function attention(
  g: GraphBuilder,
  input: string,
  maskBias: string,
  layer: number,
  shape: Gpt2Shape,
): string {
  const p = `transformer.h.${layer}.attn`;
  const { nHead, nEmbd } = shape;
  const dHead = headDim(shape);
  const qkv = linear(g, input, `${p}.c_attn`);
  const [q, k, v] = g.opMulti('Split', [qkv, g.int64s([nEmbd, nEmbd, nEmbd])], 3, { axis: 2 });
  const headsShape = g.int64s([0, 0, nHead, dHead]);
  const toHeads = (x: string): string =>
    g.op('Transpose', [g.op('Reshape', [x, headsShape])], { perm: [0, 2, 1, 3] });

  const key = g.op(
    'Concat',
    [`past_key_values.${layer}.key`, toHeads(k as string)],
    { axis: 2 },
    `present.${layer}.key`,
  );
  const value = g.op(
    'Concat',
    [`past_key_values.${layer}.value`, toHeads(v as string)],
    { axis: 2 },
    `present.${layer}.value`,
  );
  const keyT = g.op('Transpose', [key], { perm: [0, 1, 3, 2] });
  const scores = g.op('Mul', [
    g.op('MatMul', [toHeads(q as string), keyT]),
    g.floatScalar(1 / Math.sqrt(dHead)),
  ]);
  const probs = g.op('Softmax', [g.op('Add', [scores, maskBias])], { axis: -1 });
  const context = g.op('Transpose', [g.op('MatMul', [probs, value])], { perm: [0, 2, 1, 3] });
  const merged = g.op('Reshape', [context, g.int64s([0, 0, nEmbd])]);
  return linear(g, merged, `${p}.c_proj`);
}

function layerNorm(g: GraphBuilder, input: string, prefix: string): string {
  return g.op('LayerNormalization', [input, `${prefix}.weight`, `${prefix}.bias`], {
    axis: -1,
    epsilon: { float: LAYER_NORM_EPSILON },
  });
}

/** Conv1D as in GPT-2: x @ W[in,out] + b. */
function linear(g: GraphBuilder, input: string, prefix: string): string {
  return g.op('Add', [g.op('MatMul', [input, `${prefix}.weight`]), `${prefix}.bias`]);
}

/**
 * GPT-2's "gelu_new": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Written from
 * elementary ops because Gelu(approximate="tanh") needs opset 20 and we target 17.
 */
function geluTanh(g: GraphBuilder, x: string): string {
  const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const inner = g.op('Add', [x, g.op('Mul', [cube, g.floatScalar(0.044715)])]);
  const tanh = g.op('Tanh', [g.op('Mul', [inner, g.floatScalar(Math.sqrt(2 / Math.PI))])]);
  return g.op('Mul', [g.op('Mul', [x, g.floatScalar(0.5)]), g.op('Add', [tanh, g.floatScalar(1)])]);
}

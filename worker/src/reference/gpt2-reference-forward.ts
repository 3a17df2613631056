import { type StoredModel, weight } from './read-model-weights.ts';

/**
 * GPT-2's forward pass written out plainly, for checking the ONNX graph: one unpadded
 * sequence at positions 0..n-1, no cache, every step recomputed from scratch, in float64.
 * Deliberately independent of the graph code: it reads Hugging Face weight names and
 * follows the GPT-2 paper's equations, not the builder's node list.
 */
export interface ReferenceOptions {
  /** Compute logits only for the last position (the expensive part is the 50,257-wide head). */
  lastOnly?: boolean;
}

/** Logits for each position of `tokenIds` (or just the last), each vocabSize long. */
export function referenceLogits(
  model: StoredModel,
  tokenIds: readonly number[],
  options: ReferenceOptions = {},
): Float64Array[] {
  const { nLayer, nHead, nEmbd: e, vocabSize } = model.shape;
  const n = tokenIds.length;
  if (n === 0 || n > model.shape.nPositions) {
    throw new Error(`sequence length ${n} outside 1..${model.shape.nPositions}`);
  }
  const wte = weight(model, 'transformer.wte.weight');
  const wpe = weight(model, 'transformer.wpe.weight');
  const hidden = new Float64Array(n * e);
  for (let t = 0; t < n; t++) {
    const id = tokenIds[t] as number;
    for (let c = 0; c < e; c++) {
      hidden[t * e + c] = (wte[id * e + c] as number) + (wpe[t * e + c] as number);
    }
  }

  for (let layer = 0; layer < nLayer; layer++) {
    const p = `transformer.h.${layer}`;
    const attnIn = layerNorm(model, hidden, n, `${p}.ln_1`);
    const qkv = linear(model, attnIn, n, e, 3 * e, `${p}.attn.c_attn`);
    const context = causalAttention(qkv, n, e, nHead);
    addInto(hidden, linear(model, context, n, e, e, `${p}.attn.c_proj`));
    const mlpIn = layerNorm(model, hidden, n, `${p}.ln_2`);
    const fc = linear(model, mlpIn, n, e, 4 * e, `${p}.mlp.c_fc`);
    for (let i = 0; i < fc.length; i++) {
      fc[i] = geluNew(fc[i] as number);
    }
    addInto(hidden, linear(model, fc, n, 4 * e, e, `${p}.mlp.c_proj`));
  }

  const final = layerNorm(model, hidden, n, 'transformer.ln_f');
  const logits: Float64Array[] = [];
  // lm_head is tied to the token embedding: logits = h @ wte^T.
  for (let t = options.lastOnly ? n - 1 : 0; t < n; t++) {
    const row = new Float64Array(vocabSize);
    for (let v = 0; v < vocabSize; v++) {
      let sum = 0;
      for (let c = 0; c < e; c++) {
        sum += (final[t * e + c] as number) * (wte[v * e + c] as number);
      }
      row[v] = sum;
    }
    logits.push(row);
  }
  return logits;
}

/** softmax(q k^T / sqrt(d)) v per head, query t seeing keys 0..t. Input rows are [q | k | v]. */
function causalAttention(qkv: Float64Array, n: number, e: number, nHead: number): Float64Array {
  const d = e / nHead;
  const out = new Float64Array(n * e);
  const scores = new Float64Array(n);
  for (let head = 0; head < nHead; head++) {
    const q0 = head * d;
    const k0 = e + head * d;
    const v0 = 2 * e + head * d;
    for (let t = 0; t < n; t++) {
      let max = -Infinity;
      for (let j = 0; j <= t; j++) {
        let dot = 0;
        for (let c = 0; c < d; c++) {
          dot += (qkv[t * 3 * e + q0 + c] as number) * (qkv[j * 3 * e + k0 + c] as number);
        }
        scores[j] = dot / Math.sqrt(d);
        max = Math.max(max, scores[j] as number);
      }
      let total = 0;
      for (let j = 0; j <= t; j++) {
        scores[j] = Math.exp((scores[j] as number) - max);
        total += scores[j] as number;
      }
      for (let j = 0; j <= t; j++) {
        const p = (scores[j] as number) / total;
        for (let c = 0; c < d; c++) {
          out[t * e + head * d + c] =
            (out[t * e + head * d + c] as number) + p * (qkv[j * 3 * e + v0 + c] as number);
        }
      }
    }
  }
  return out;
}

function layerNorm(model: StoredModel, x: Float64Array, n: number, prefix: string): Float64Array {
  const gain = weight(model, `${prefix}.weight`);
  const bias = weight(model, `${prefix}.bias`);
  const e = gain.length;
  const out = new Float64Array(n * e);
  for (let t = 0; t < n; t++) {
    let mean = 0;
    for (let c = 0; c < e; c++) {
      mean += x[t * e + c] as number;
    }
    mean /= e;
    let variance = 0;
    for (let c = 0; c < e; c++) {
      variance += ((x[t * e + c] as number) - mean) ** 2;
    }
    const scale = 1 / Math.sqrt(variance / e + model.layerNormEpsilon);
    for (let c = 0; c < e; c++) {
      out[t * e + c] =
        ((x[t * e + c] as number) - mean) * scale * (gain[c] as number) + (bias[c] as number);
    }
  }
  return out;
}

/** GPT-2's Conv1D: x [n, inputs] @ W [inputs, outputs] + b. */
function linear(
  model: StoredModel,
  x: Float64Array,
  n: number,
  inputs: number,
  outputs: number,
  prefix: string,
): Float64Array {
  const w = weight(model, `${prefix}.weight`);
  const b = weight(model, `${prefix}.bias`);
  const out = new Float64Array(n * outputs);
  for (let t = 0; t < n; t++) {
    const row = t * outputs;
    for (let o = 0; o < outputs; o++) {
      out[row + o] = b[o] as number;
    }
    for (let i = 0; i < inputs; i++) {
      const xi = x[t * inputs + i] as number;
      const wRow = i * outputs;
      for (let o = 0; o < outputs; o++) {
        out[row + o] = (out[row + o] as number) + xi * (w[wRow + o] as number);
      }
    }
  }
  return out;
}

function addInto(target: Float64Array, addend: Float64Array): void {
  for (let i = 0; i < target.length; i++) {
    target[i] = (target[i] as number) + (addend[i] as number);
  }
}

/** GPT-2's "gelu_new" (tanh approximation). */
function geluNew(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

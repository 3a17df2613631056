import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyRepetitionPenalty, type SamplingSettings, TokenSampler } from './token-sampler.ts';

const plain: SamplingSettings = { temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1 };

/** Logits whose softmax is exactly `probs`. */
const logitsOf = (probs: number[]) => Float32Array.from(probs, (p) => Math.log(p));

/** How often each id is picked when the uniform draws sweep [0, 1) evenly. */
function histogram(logits: Float32Array, settings: SamplingSettings, draws = 1000): number[] {
  const sampler = new TokenSampler(logits.length);
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < draws; i++) {
    const id = sampler.pick(Float32Array.from(logits), settings, [], () => (i + 0.5) / draws);
    counts[id]!++;
  }
  return counts;
}

describe('TokenSampler', () => {
  it('is greedy at temperature 0 and at top_k 1, lowest id on a tie', () => {
    const sampler = new TokenSampler(5);
    const logits = Float32Array.from([0.1, 2, -1, 2, 0.5]);
    assert.equal(sampler.pick(logits, { ...plain, temperature: 0 }, [], Math.random), 1);
    for (const draw of [0, 0.5, 0.999]) {
      assert.equal(
        sampler.pick(logits, { ...plain, topK: 1 }, [], () => draw),
        1,
      );
    }
  });

  it('samples in proportion to softmax(logits / temperature)', () => {
    const logits = logitsOf([0.1, 0.2, 0.3, 0.4]);
    assert.deepEqual(histogram(logits, plain), [100, 200, 300, 400]);
    // Temperature 0.5 squares the probabilities: 1, 4, 9, 16 over 30.
    const sharp = histogram(logits, { ...plain, temperature: 0.5 }, 3000);
    assert.deepEqual(sharp, [100, 400, 900, 1600]);
  });

  it('top_k keeps the k most likely ids, renormalised', () => {
    const counts = histogram(logitsOf([0.1, 0.4, 0.2, 0.3]), { ...plain, topK: 2 }, 700);
    assert.deepEqual(counts, [0, 400, 0, 300]);
  });

  it('top_p keeps the smallest most-likely set reaching p (HF rule)', () => {
    const logits = logitsOf([0.15, 0.5, 0.05, 0.3]);
    assert.deepEqual(histogram(logits, { ...plain, topP: 0.7 }, 800), [0, 500, 0, 300]);
    // The most likely id alone already reaches 0.45.
    assert.deepEqual(histogram(logits, { ...plain, topP: 0.45 }, 100), [0, 100, 0, 0]);
    // top_k first, then top_p over what is left: 0.5 / 0.8 < 0.7 <= 0.8 / 0.8.
    assert.deepEqual(histogram(logits, { ...plain, topK: 2, topP: 0.7 }, 800), [0, 500, 0, 300]);
  });

  it('top_p on a GPT-2-sized vocabulary only draws from the nucleus', () => {
    const vocab = 50257;
    let state = 12345;
    const logits = Float32Array.from({ length: vocab }, () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return (state / 2 ** 31) * 8;
    });
    const probs = Array.from(logits, (l) => Math.exp(l));
    const total = probs.reduce((a, b) => a + b, 0);
    const order = [...probs.keys()].sort((a, b) => probs[b]! - probs[a]!);
    const nucleus = new Set<number>();
    let cumulative = 0;
    for (const id of order) {
      if (cumulative >= 0.3 * total) {
        break;
      }
      nucleus.add(id);
      cumulative += probs[id]!;
    }
    const sampler = new TokenSampler(vocab);
    const picked = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const id = sampler.pick(logits, { ...plain, topP: 0.3 }, [], () => (i + 0.5) / 200);
      assert.ok(nucleus.has(id), `id ${id} is outside the nucleus`);
      picked.add(id);
    }
    assert.ok(picked.size > 100, 'draws spread over the nucleus');
  });

  it('repetition penalty divides positive and multiplies negative logits of seen ids', () => {
    const logits = Float32Array.from([2, -1, 3, 0.5]);
    applyRepetitionPenalty(logits, new Set([0, 1]), 2);
    assert.deepEqual([...logits], [1, -2, 3, 0.5]);
    const sampler = new TokenSampler(3);
    const greedy = { ...plain, temperature: 0 };
    const scores = Float32Array.from([1, 3, 2]);
    assert.equal(sampler.pick(Float32Array.from(scores), greedy, [], Math.random), 1);
    const penalised = { ...greedy, repetitionPenalty: 2 };
    assert.equal(sampler.pick(Float32Array.from(scores), penalised, [1], Math.random), 2);
  });
});

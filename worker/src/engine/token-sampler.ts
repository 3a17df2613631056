/**
 * Picks a row's next token from its last-position logits, with the row's own settings, in
 * the order Hugging Face applies them: repetition penalty, then temperature, top-k, top-p.
 * Temperature 0 (or top_k 1) is greedy: the highest logit after the penalty, lowest id on
 * a tie. Only the candidates that can still be chosen are ever sorted, so the usual case
 * (no top-k / top-p) is three linear passes over the vocabulary.
 */
export interface SamplingSettings {
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  /** 1 = off. */
  repetitionPenalty: number;
}

export class TokenSampler {
  /** Scratch, reused every call: unnormalised probabilities and candidate order. */
  private readonly weights: Float32Array;
  private readonly order: Int32Array;

  constructor(vocabSize: number) {
    this.weights = new Float32Array(vocabSize);
    this.order = new Int32Array(vocabSize);
  }

  /**
   * `logits` is the row's slice of the model output; the repetition penalty is applied to
   * it in place. `seen` holds the row's prompt and generated ids; `random` gives [0, 1).
   */
  pick(
    logits: Float32Array,
    settings: SamplingSettings,
    seen: Iterable<number>,
    random: () => number,
  ): number {
    if (settings.repetitionPenalty !== 1) {
      applyRepetitionPenalty(logits, seen, settings.repetitionPenalty);
    }
    const vocab = logits.length;
    const { temperature, topK, topP } = settings;
    if (temperature === 0 || topK === 1) {
      return argmax(logits);
    }

    // Candidates: every id, or the top k ids sorted by logit (highest first).
    let candidates: Int32Array | null = null;
    if (topK > 0 && topK < vocab) {
      candidates = this.topKIds(logits, topK);
    }

    const weights = this.weights;
    const inverseTemperature = 1 / temperature;
    let maxLogit = Number.NEGATIVE_INFINITY;
    const count = candidates ? candidates.length : vocab;
    for (let i = 0; i < count; i++) {
      const value = logits[candidates ? candidates[i]! : i]!;
      if (value > maxLogit) {
        maxLogit = value;
      }
    }
    let total = 0;
    for (let i = 0; i < count; i++) {
      const id = candidates ? candidates[i]! : i;
      const weight = Math.exp((logits[id]! - maxLogit) * inverseTemperature);
      weights[id] = weight;
      total += weight;
    }

    if (topP < 1) {
      candidates = candidates
        ? nucleusOfSorted(candidates, weights, total * topP)
        : this.nucleus(weights, vocab, total * topP);
      total = 0;
      for (const id of candidates) {
        total += weights[id]!;
      }
    }

    // Inverse-CDF draw over the remaining candidates.
    const target = random() * total;
    let cumulative = 0;
    let last = 0;
    for (let i = 0; i < (candidates ? candidates.length : vocab); i++) {
      const id = candidates ? candidates[i]! : i;
      const weight = weights[id]!;
      if (weight === 0) {
        continue;
      }
      cumulative += weight;
      last = id;
      if (cumulative > target) {
        return id;
      }
    }
    return last;
  }

  /** The k ids with the highest logits, highest first (lowest id first on a tie). */
  private topKIds(logits: Float32Array, k: number): Int32Array {
    // A min-heap of size k on (logit, -id): its root is the weakest of the best k so far.
    const heap = this.order.subarray(0, k);
    const weaker = (a: number, b: number): boolean =>
      logits[a]! < logits[b]! || (logits[a] === logits[b] && a > b);
    for (let id = 0; id < k; id++) {
      heap[id] = id;
    }
    const stronger = (a: number, b: number): boolean => weaker(b, a);
    for (let i = (k >> 1) - 1; i >= 0; i--) {
      siftDown(heap, i, k, stronger);
    }
    for (let id = k; id < logits.length; id++) {
      if (weaker(heap[0]!, id)) {
        heap[0] = id;
        siftDown(heap, 0, k, stronger);
      }
    }
    return Int32Array.from(heap).sort((a, b) => (weaker(a, b) ? 1 : weaker(b, a) ? -1 : 0));
  }

  /**
   * The smallest set of highest-weight ids whose weight reaches `mass` (HF's top-p rule: an
   * id is kept while the weight ranked above it is below `mass`), in no particular order.
   * Found by quickselect-style three-way partitioning, so no full sort of the vocabulary.
   */
  private nucleus(weights: Float32Array, vocab: number, mass: number): Int32Array {
    const ids = this.order;
    for (let id = 0; id < vocab; id++) {
      ids[id] = id;
    }
    // ids[0, lo) are kept, ids[lo, hi) undecided, ids[hi, vocab) dropped; every kept id
    // outweighs every undecided one, which outweighs every dropped one.
    let lo = 0;
    let hi = vocab;
    let keptMass = 0;
    while (lo < hi) {
      const pivot = medianOfThree(
        weights[ids[lo]!]!,
        weights[ids[(lo + hi) >> 1]!]!,
        weights[ids[hi - 1]!]!,
      );
      // Three-way partition of the window: heavier than pivot | equal | lighter.
      let heavyEnd = lo;
      let scan = lo;
      let lightStart = hi;
      let heavyMass = 0;
      while (scan < lightStart) {
        const id = ids[scan]!;
        const weight = weights[id]!;
        if (weight > pivot) {
          ids[scan] = ids[heavyEnd]!;
          ids[heavyEnd] = id;
          heavyEnd++;
          scan++;
          heavyMass += weight;
        } else if (weight < pivot) {
          lightStart--;
          ids[scan] = ids[lightStart]!;
          ids[lightStart] = id;
        } else {
          scan++;
        }
      }
      if (keptMass + heavyMass >= mass && heavyEnd > lo) {
        hi = heavyEnd;
        continue;
      }
      lo = heavyEnd;
      keptMass += heavyMass;
      // The ties at the pivot: keep them one by one until the mass is reached.
      while (lo < lightStart && keptMass < mass) {
        keptMass += pivot;
        lo++;
      }
      if (keptMass >= mass) {
        break;
      }
    }
    return ids.subarray(0, Math.max(lo, 1));
  }
}

function medianOfThree(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/** HF rule: a seen id's logit is divided by the penalty when positive, multiplied when not. */
export function applyRepetitionPenalty(
  logits: Float32Array,
  seen: Iterable<number>,
  penalty: number,
): void {
  for (const id of seen) {
    const value = logits[id];
    if (value !== undefined) {
      logits[id] = value > 0 ? value / penalty : value * penalty;
    }
  }
}

export function argmax(values: Float32Array): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value > bestValue) {
      bestValue = value;
      best = i;
    }
  }
  return best;
}

function nucleusOfSorted(sorted: Int32Array, weights: Float32Array, mass: number): Int32Array {
  let cumulative = 0;
  let end = 0;
  while (end < sorted.length && cumulative < mass) {
    cumulative += weights[sorted[end]!]!;
    end++;
  }
  return sorted.subarray(0, Math.max(end, 1));
}

/** Restores the heap property below `start`; `below(a, b)` says a belongs below b. */
function siftDown(
  heap: Int32Array,
  start: number,
  size: number,
  below: (a: number, b: number) => boolean,
): void {
  let parent = start;
  for (;;) {
    const left = 2 * parent + 1;
    if (left >= size) {
      return;
    }
    const right = left + 1;
    let child = left;
    if (right < size && below(heap[left]!, heap[right]!)) {
      child = right;
    }
    if (!below(heap[parent]!, heap[child]!)) {
      return;
    }
    const swap = heap[parent]!;
    heap[parent] = heap[child]!;
    heap[child] = swap;
    parent = child;
  }
}

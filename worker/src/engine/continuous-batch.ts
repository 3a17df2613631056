import { Tensor } from 'onnxruntime-node';
import type { GenerationRow } from './generation-row.ts';
import {
  bytesPerRowColumn,
  type KvLayout,
  KvSlots,
  type KvStore,
  type PassRow,
} from './kv-slots.ts';
import type { TokenSampler } from './token-sampler.ts';

/**
 * Iteration-level (continuous) batching over the decode graph (decode-graph.ts).
 *
 * A running set of rows decodes one token per step in one forward pass. Between steps,
 * rows that finished (length, stop, EOS) or were aborted leave at once, and newly submitted
 * rows are admitted: their prompts are prefilled into free KV slots, then they join the
 * next step. Rows never wait for a batch to end, and a finished row's slot is reused by
 * the next step.
 *
 * Prefill policy (why: a newcomer's prompt must not stall the running rows for long): while
 * rows are decoding, each step prefills at most `prefillTokensPerStep` prompt tokens
 * (padding included) beside the decode pass; a longer prompt is prefilled in chunks over
 * several steps (GroupQueryAttention continues a row from its cached columns). With nothing
 * decoding there is no one to stall, and a prefill pass may take `idlePrefillTokens`.
 * New prompts that fit are prefilled together, right-padded, in one pass.
 *
 * Memory: one budget bounds the KV cache of every admitted row together (kv-slots.ts). A
 * row is admitted only when all admitted rows fit in the budget at the length the longest
 * of them can reach (prompt + max_new_tokens); otherwise it waits for rows to finish. The
 * buffers themselves follow the rows' actual lengths. A step is never split.
 *
 * Slots: rows that decode occupy slots 0..n-1 (so a step is one contiguous view), rows
 * being prefilled sit above them. A row that finishes is replaced by the last running row
 * (one copy of that row's columns); a row whose prompt is complete moves to slot n.
 */
export interface DecodeForward {
  layout: KvLayout;
  /** Runs the decode graph; returns logits and what the KV store takes in. */
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  /**
   * The KV cache for this graph, for at most maxSlots rows of maxColumns columns; default:
   * host buffers (kv-slots.ts). The device-resident graph brings its own (device-kv-slots.ts).
   */
  createKvStore?: (maxSlots: number, maxColumns: number) => KvStore;
}

export interface ContinuousBatchSettings {
  /** Most rows admitted at once (decoding + being prefilled). */
  maxRows: number;
  /** KV-cache bytes all admitted rows may use together. */
  kvBudgetBytes: number;
  prefillTokensPerStep: number;
  idlePrefillTokens: number;
  /** The model's positions: no row reaches further. */
  maxPositions: number;
  vocabSize: number;
  /** Token fed into padding positions (never attended to). */
  padTokenId: number;
}

/** Added to the scores of columns a query may not see; exp() of it is exactly 0. */
const MASKED_SCORE = -1e9;
/**
 * The buffers grow by these steps, so a re-layout (a copy of the cache) happens once per
 * 64 decode steps of the longest row, and once per 8 admissions, not at every one.
 */
const STRIDE_QUANTUM = 64;
const SLOT_QUANTUM = 8;

interface Entry {
  row: GenerationRow;
  /** Columns of this row in its slot: prompt tokens prefilled, then one per step. */
  columns: number;
}

/** What one step did, for the engine's observers (benchmarks, metrics). */
export interface StepReport {
  decodeRows: number;
  decodeMs: number;
  prefillTokens: number;
  prefillMs: number;
}

export class ContinuousBatch {
  private readonly forward: DecodeForward;
  private readonly sampler: TokenSampler;
  private readonly settings: ContinuousBatchSettings;
  private readonly kv: KvStore;
  private readonly bytesPerColumn: number;
  private readonly waiting: GenerationRow[] = [];
  private slots: (Entry | null)[] = [];
  /** Slots 0..decoding-1 hold the rows that decode. */
  private decoding = 0;
  private looping: Promise<void> | null = null;
  private closed: Error | null = null;
  onStep: ((report: StepReport) => void) | null = null;

  constructor(forward: DecodeForward, sampler: TokenSampler, settings: ContinuousBatchSettings) {
    this.forward = forward;
    this.sampler = sampler;
    this.settings = settings;
    this.kv =
      forward.createKvStore?.(settings.maxRows, settings.maxPositions) ??
      new KvSlots(forward.layout, settings.maxRows, settings.maxPositions);
    this.bytesPerColumn = bytesPerRowColumn(forward.layout);
  }

  /** Rows admitted or waiting. */
  get size(): number {
    return this.waiting.length + this.occupied;
  }

  /** KV-cache bytes allocated now. */
  get kvBytes(): number {
    return this.kv.bytes;
  }

  private get occupied(): number {
    return this.slots.reduce((count, entry) => count + (entry === null ? 0 : 1), 0);
  }

  /** Queues a row; it is admitted between steps. Its outcome arrives through row.done. */
  submit(row: GenerationRow): void {
    if (this.closed !== null) {
      row.fail(this.closed);
      return;
    }
    this.waiting.push(row);
    this.looping ??= this.loop().finally(() => {
      this.looping = null;
      // A row submitted while the loop was ending.
      if (this.waiting.length > 0 && this.closed === null) {
        this.looping = this.loop();
      }
    });
  }

  /** Rejects every row not finished yet; later submits reject at once. */
  async close(error: Error): Promise<void> {
    this.closed = error;
    await this.looping;
  }

  private async loop(): Promise<void> {
    // Rows submitted together (one generate() call, or a burst of messages from the
    // caller's thread, handled before this callback) start together.
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      if (this.closed !== null) {
        this.failAll(this.closed);
        return;
      }
      this.dropAborted();
      this.admit();
      const prefilling = this.occupied - this.decoding;
      if (this.decoding === 0 && prefilling === 0) {
        // Idle: the cache's memory goes back until the next row.
        this.kv.release();
        this.slots = [];
        if (this.waiting.length === 0) {
          return;
        }
        // Nothing admitted and nothing holds memory: only a closed engine gets here.
        throw new Error('a waiting row could not be admitted into an empty batch');
      }
      // Room for this iteration's passes: a prompt whole, a decoding row one more column.
      const entries = this.slots.filter((entry): entry is Entry => entry !== null);
      this.reserve(
        entries.length,
        Math.max(
          ...entries.map((entry) =>
            this.isDecoding(entry) ? entry.columns + 1 : entry.row.promptIds.length,
          ),
        ),
      );
      const decodeRows = this.decoding;
      let prefillMs = 0;
      let prefillTokens = 0;
      if (prefilling > 0) {
        const started = performance.now();
        prefillTokens = await this.prefill(
          decodeRows > 0 ? this.settings.prefillTokensPerStep : this.settings.idlePrefillTokens,
        );
        prefillMs = performance.now() - started;
      }
      let decodeMs = 0;
      if (this.decoding > 0) {
        const started = performance.now();
        await this.decodeStep();
        decodeMs = performance.now() - started;
      }
      this.onStep?.({ decodeRows, decodeMs, prefillTokens, prefillMs });
    }
  }

  /** Admits waiting rows while a row slot is free and the KV budget holds them all. */
  private admit(): void {
    const { maxRows, kvBudgetBytes } = this.settings;
    while (this.waiting.length > 0 && this.occupied < maxRows) {
      const next = this.waiting[0]!;
      if (next.cancelIfAborted(performance.now())) {
        this.waiting.shift();
        continue;
      }
      const entries = this.slots.filter((entry): entry is Entry => entry !== null);
      const reach = Math.max(next.maxColumns, ...entries.map((entry) => entry.row.maxColumns));
      const rowBytes = Math.min(reach, this.settings.maxPositions) * this.bytesPerColumn;
      const rows = entries.length + 1;
      if (rows * rowBytes > kvBudgetBytes) {
        return;
      }
      const free = this.slots.indexOf(null, this.decoding);
      if (free < 0 || this.kv.slots * this.kv.stride * this.bytesPerColumn > kvBudgetBytes) {
        this.waiting.shift();
        this.slots.push({ row: next, columns: 0 });
        this.reserve(rows, 0);
        continue;
      }
      this.slots[free] = { row: next, columns: 0 };
      this.waiting.shift();
    }
  }

  /**
   * Makes room for `slots` slots of `columns` columns. Rounded up by the quanta, but never
   * past what the budget allows at the longest reach among the admitted rows (the bound
   * admission checked), so the buffers stay within the budget.
   */
  private reserve(slots: number, columns: number): void {
    const entries = this.slots.filter((entry): entry is Entry => entry !== null);
    const used = Math.max(columns, ...entries.map((entry) => entry.columns));
    const fits =
      this.kv.slots >= slots &&
      this.kv.stride >= used &&
      this.kv.slots * this.kv.stride * this.bytesPerColumn <= this.settings.kvBudgetBytes;
    if (fits) {
      return;
    }
    const reach = Math.min(
      this.settings.maxPositions,
      Math.max(used, ...entries.map((entry) => entry.row.maxColumns)),
    );
    const maxSlots = Math.min(
      this.settings.maxRows,
      Math.max(slots, Math.floor(this.settings.kvBudgetBytes / (reach * this.bytesPerColumn))),
    );
    const newSlots = Math.max(
      slots,
      Math.min(maxSlots, Math.ceil(slots / SLOT_QUANTUM) * SLOT_QUANTUM),
    );
    const newStride = Math.max(
      used,
      Math.min(reach, Math.ceil(used / STRIDE_QUANTUM) * STRIDE_QUANTUM),
    );
    this.compactFreeSlots();
    this.kv.layOut(
      newSlots,
      newStride,
      this.slots.map((entry) => entry?.columns ?? 0),
    );
    this.slots = Array.from({ length: newSlots }, (_, s) => this.slots[s] ?? null);
  }

  /** Moves entries above free slots down, so a resize keeps the slots in use at the front. */
  private compactFreeSlots(): void {
    let to = this.decoding;
    for (let from = this.decoding; from < this.slots.length; from++) {
      const entry = this.slots[from];
      if (!entry) {
        continue;
      }
      if (from !== to) {
        this.kv.move(from, to);
        this.slots[to] = entry;
        this.slots[from] = null;
      }
      to++;
    }
  }

  /** Rows whose signal fired leave now, wherever they are. */
  private dropAborted(): void {
    const now = performance.now();
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (this.waiting[i]!.cancelIfAborted(now)) {
        this.waiting.splice(i, 1);
      }
    }
    for (const entry of this.slots) {
      entry?.row.cancelIfAborted(now);
    }
    this.removeFinished();
  }

  /**
   * Prefills up to `budget` prompt tokens: first the next chunk of rows already partly
   * prefilled, then new prompts together. Returns the tokens it ran (padding included).
   */
  private async prefill(budget: number): Promise<number> {
    let spent = 0;
    for (let s = this.decoding; s < this.slots.length && spent < budget; s++) {
      const entry = this.slots[s];
      if (!entry || entry.columns === 0 || this.isDecoding(entry)) {
        continue;
      }
      const chunk = Math.min(entry.row.promptIds.length - entry.columns, budget - spent);
      await this.prefillPass(s, [entry], chunk);
      spent += chunk;
    }
    while (spent < budget) {
      const group = this.freshGroup(budget - spent);
      if (group === null) {
        break;
      }
      await this.prefillPass(group.start, group.entries, group.width);
      spent += group.width * group.entries.length;
    }
    this.promotePrefilled();
    return spent;
  }

  private isDecoding(entry: Entry): boolean {
    return entry.columns >= entry.row.promptIds.length;
  }

  /**
   * The longest run of adjacent slots holding new rows whose first chunks, right-padded to
   * the widest, fit in `budget` tokens (a single row always forms a group, its chunk cut to
   * the budget).
   */
  private freshGroup(budget: number): { start: number; entries: Entry[]; width: number } | null {
    const start = this.slots.findIndex((entry, s) => s >= this.decoding && entry?.columns === 0);
    if (start < 0) {
      return null;
    }
    const first = this.slots[start]!;
    const entries = [first];
    let width = Math.min(first.row.promptIds.length, budget);
    for (let s = start + 1; s < this.slots.length; s++) {
      const entry = this.slots[s];
      if (entry?.columns !== 0) {
        break;
      }
      const wider = Math.max(width, entry.row.promptIds.length);
      if (wider * (entries.length + 1) > budget) {
        break;
      }
      width = wider;
      entries.push(entry);
    }
    return { start, entries, width };
  }

  /**
   * One prefill pass over adjacent slots from `start`: each row's next min(width, left)
   * prompt tokens, right-padded to `width`. A row whose prompt is complete gets its first
   * token from its last prompt position.
   */
  private async prefillPass(
    start: number,
    entries: readonly Entry[],
    width: number,
  ): Promise<void> {
    const count = entries.length;
    const inputIds = new BigInt64Array(count * width).fill(BigInt(this.settings.padTokenId));
    const positions = new BigInt64Array(count * width);
    const logitsIndex = new BigInt64Array(count);
    const rows: PassRow[] = entries.map((entry, b) => {
      const added = Math.min(width, entry.row.promptIds.length - entry.columns);
      for (let i = 0; i < added; i++) {
        inputIds[b * width + i] = BigInt(entry.row.promptIds[entry.columns + i]!);
        positions[b * width + i] = BigInt(entry.columns + i);
      }
      logitsIndex[b] = BigInt(b * width + added - 1);
      return { columns: entry.columns, added };
    });
    const logits = await this.run(start, entries, rows, width, {
      inputIds,
      positions,
      logitsIndex,
    });
    if (logits === null) {
      return;
    }
    const now = performance.now();
    entries.forEach((entry, b) => {
      entry.columns += rows[b]!.added;
      if (this.isDecoding(entry) && !entry.row.finished) {
        this.acceptNext(entry, logits, b, now);
      }
    });
  }

  /** One token for every decoding row. */
  private async decodeStep(): Promise<void> {
    const count = this.decoding;
    const entries = this.slots.slice(0, count) as Entry[];
    const inputIds = BigInt64Array.from(entries, (entry) => BigInt(entry.row.lastToken));
    const positions = BigInt64Array.from(entries, (entry) => BigInt(entry.columns));
    const logitsIndex = BigInt64Array.from(entries, (_, b) => BigInt(b));
    const rows = entries.map((entry) => ({ columns: entry.columns, added: 1 }));
    const logits = await this.run(0, entries, rows, 1, { inputIds, positions, logitsIndex });
    if (logits === null) {
      return;
    }
    const now = performance.now();
    entries.forEach((entry, b) => {
      entry.columns += 1;
      if (!entry.row.finished && !entry.row.cancelIfAborted(now)) {
        this.acceptNext(entry, logits, b, now);
      }
    });
    this.removeFinished();
  }

  private acceptNext(entry: Entry, logits: Float32Array, b: number, now: number): void {
    const { vocabSize } = this.settings;
    const token = entry.row.pick(logits.subarray(b * vocabSize, (b + 1) * vocabSize), this.sampler);
    entry.row.accept(token, now);
  }

  /**
   * Runs the graph over the adjacent slots from `start` and appends each row's new columns
   * to the cache. On an onnxruntime error the rows of that pass fail with it (the engine
   * goes on for the others) and null is returned.
   */
  private async run(
    start: number,
    entries: readonly Entry[],
    rows: readonly PassRow[],
    width: number,
    inputs: { inputIds: BigInt64Array; positions: BigInt64Array; logitsIndex: BigInt64Array },
  ): Promise<Float32Array | null> {
    const count = entries.length;
    try {
      const feeds = this.kv.feeds(start, rows, width);
      feeds.input_ids = new Tensor('int64', inputs.inputIds, [count, width]);
      feeds.position_ids = new Tensor('int64', inputs.positions, [count, width]);
      feeds.logits_index = new Tensor('int64', inputs.logitsIndex, [count]);
      feeds.attention_bias = this.attentionBias(rows, width);
      const outputs = await this.forward.run(feeds);
      const logits = outputs.logits;
      if (!logits) {
        throw new Error('decode graph output "logits" is missing');
      }
      this.kv.append(outputs, start, rows, width);
      return logits.data as Float32Array;
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      for (const entry of entries) {
        entry.row.fail(error);
      }
      this.removeFinished();
      return null;
    }
  }

  /**
   * [rows, 1, width, stride + width]: a query sees its row's cached columns and the pass's
   * new tokens up to itself (causal); cached columns past the row's length are masked.
   */
  private attentionBias(rows: readonly PassRow[], width: number): Tensor {
    const stride = this.kv.stride;
    const total = stride + width;
    const bias = new Float32Array(rows.length * width * total);
    rows.forEach((row, b) => {
      for (let t = 0; t < width; t++) {
        const offset = (b * width + t) * total;
        bias.fill(MASKED_SCORE, offset + row.columns, offset + stride);
        bias.fill(MASKED_SCORE, offset + stride + t + 1, offset + total);
      }
    });
    return new Tensor('float32', bias, [rows.length, 1, width, total]);
  }

  /** Rows whose prompt is complete take the next decoding slot. */
  private promotePrefilled(): void {
    for (let s = this.decoding; s < this.slots.length; s++) {
      const entry = this.slots[s];
      if (!entry || !this.isDecoding(entry) || entry.row.finished) {
        continue;
      }
      const target = this.decoding;
      if (s !== target) {
        const other = this.slots[target] ?? null;
        if (other === null) {
          this.kv.move(s, target);
        } else {
          this.kv.swap(s, target);
        }
        this.slots[s] = other;
        this.slots[target] = entry;
      }
      this.decoding++;
    }
  }

  /** Frees the slots of finished rows; the last decoding row fills a decoding hole. */
  private removeFinished(): void {
    for (let s = this.slots.length - 1; s >= this.decoding; s--) {
      if (this.slots[s]?.row.finished) {
        this.slots[s] = null;
      }
    }
    for (let s = this.decoding - 1; s >= 0; s--) {
      if (!this.slots[s]!.row.finished) {
        continue;
      }
      const last = this.decoding - 1;
      if (s !== last) {
        this.kv.move(last, s);
        this.slots[s] = this.slots[last]!;
      }
      this.slots[last] = null;
      this.decoding--;
    }
  }

  private failAll(error: Error): void {
    for (const row of this.waiting.splice(0)) {
      row.fail(error);
    }
    for (const entry of this.slots) {
      entry?.row.fail(error);
    }
    this.slots = this.slots.map(() => null);
    this.decoding = 0;
  }
}

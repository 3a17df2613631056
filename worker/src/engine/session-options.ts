import type { InferenceSession } from 'onnxruntime-node';
import type { Device } from './generation-engine.ts';

/**
 * onnxruntime session options for the engine. transformers.js passes none of its own on
 * Node (only the execution provider for the device), so onnxruntime's defaults apply
 * except for what is set here. Measured with worker/bench/engine.ts and raw decode loops
 * on the 2-core machine (2026-11-25):
 * - Threads: onnxruntime's default intra-op pool (one thread per physical core) beat an
 *   explicit intraOpNumThreads = cores by 2-3x in decode steps whenever the machine was
 *   busy, and was never slower, so the count is only set when asked for. Inter-op threads
 *   are unused in sequential execution.
 * - Memory pattern: off. Every decode step has a new sequence length, so a pattern planned
 *   for one step's shapes is never reused.
 * - Memory arena: on (the default). Turning it off raised peak RSS slightly and slowed
 *   steps; peak memory is bounded by the engine's per-pass KV budget instead.
 */
export interface SessionTuning {
  /** Threads for one operator; default: onnxruntime's (one per physical core). */
  intraOpThreads?: number;
}

export function sessionOptionsFor(
  device: Device,
  tuning: SessionTuning = {},
): InferenceSession.SessionOptions {
  const options: InferenceSession.SessionOptions = {
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableMemPattern: false,
  };
  if (tuning.intraOpThreads !== undefined) {
    options.intraOpNumThreads = tuning.intraOpThreads;
  }
  if (device === 'cuda') {
    // The CUDA build of onnxruntime-node is installed at image build time
    // (`npm install --onnxruntime-node-install=cuda12`); transformers.js maps device
    // 'cuda' to the 'cuda' execution provider. The KV cache still round-trips through
    // host memory between steps.
    options.executionProviders = ['cuda'];
  }
  return options;
}

import { availableParallelism } from 'node:os';
import type { InferenceSession } from 'onnxruntime-node';
import type { Device } from './generation-engine.ts';

/**
 * onnxruntime session options for the engine. transformers.js passes none of its own on
 * Node (only the execution provider for the device), so onnxruntime's defaults apply
 * unless we set them here; these are the ones that moved tokens/s or memory when measured
 * (worker/bench/engine.ts).
 */
export interface SessionTuning {
  /** Threads for one operator; default: every core the process may use. */
  intraOpThreads?: number;
}

export function sessionOptionsFor(
  device: Device,
  tuning: SessionTuning = {},
): InferenceSession.SessionOptions {
  const options: InferenceSession.SessionOptions = {
    // One decode step is a chain of operators: parallelism is inside each one, not across.
    executionMode: 'sequential',
    interOpNumThreads: 1,
    intraOpNumThreads: tuning.intraOpThreads ?? availableParallelism(),
    graphOptimizationLevel: 'all',
    // Every step has a new sequence length, so a memory pattern planned for one shape is
    // never reused; planning it only costs time and memory.
    enableMemPattern: false,
  };
  if (device === 'cuda') {
    // The CUDA build of onnxruntime-node is installed at image build time
    // (`npm install --onnxruntime-node-install=cuda12`); transformers.js maps device
    // 'cuda' to the 'cuda' execution provider. The KV cache still round-trips through
    // host memory between steps.
    options.executionProviders = ['cuda'];
  }
  return options;
}

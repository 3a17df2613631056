import { availableParallelism, cpus } from 'node:os';
import type { InferenceSession } from 'onnxruntime-node';
import type { Device } from './generation-engine.ts';

/**
 * onnxruntime session options for the engine. transformers.js passes none of its own on
 * Node (only the execution provider for the device), so onnxruntime's defaults apply
 * except for what is set here. Measured with worker/bench/engine.ts and raw decode loops
 * on the 2-core machine (2026-11-25):
 * - Threads: onnxruntime's default intra-op pool (one thread per physical core) beat an
 *   explicit intraOpNumThreads = cores by 2-3x in decode steps whenever the machine was
 *   busy, and was never slower (2026-11-25); on 2026-12-03 the two were equal on a quiet
 *   machine (q8 batch 32: 392 vs 381 tokens/s; fp32: 330 vs 339). But that default counts
 *   the host's cores, not the process's share: where the process may use fewer CPUs than
 *   the machine has (a container's cpuset or quota, which os.availableParallelism()
 *   reflects), the count is set to that share instead. Inter-op threads are unused in
 *   sequential execution.
 * - Memory pattern: off. Every decode step has a new sequence length, so a pattern planned
 *   for one step's shapes is never reused.
 * - Memory arena: on (the default). Turning it off raised peak RSS slightly and slowed
 *   steps; peak memory is bounded by the engine's per-pass KV budget instead.
 */
export interface SessionTuning {
  /** Threads for one operator; default: onnxruntime's, or the process's CPU share if smaller. */
  intraOpThreads?: number;
  /** Whether idle pool threads spin between runs (onnxruntime's default: yes). */
  spinning?: boolean;
  /** webgpu: outputs kept in GPU memory (the next step's KV cache), never copied to JS. */
  gpuResidentOutputs?: readonly string[];
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
  const share = availableParallelism();
  const threads = tuning.intraOpThreads ?? (share < cpus().length ? share : undefined);
  if (threads !== undefined) {
    options.intraOpNumThreads = threads;
  }
  if (tuning.spinning === false) {
    options.extra = { session: { intra_op: { allow_spinning: '0' } } };
  }
  if (device === 'cuda') {
    // The CUDA build of onnxruntime-node is installed at image build time
    // (`npm install --onnxruntime-node-install=cuda12`); transformers.js maps device
    // 'cuda' to the 'cuda' execution provider. The KV cache still round-trips through
    // host memory between steps.
    options.executionProviders = ['cuda'];
  }
  if (device === 'webgpu') {
    // onnxruntime-node's bundled WebGPU provider (Dawn, on Vulkan on Linux). Outputs
    // default to the CPU; the cache outputs stay on the GPU and are fed back as they are.
    options.executionProviders = ['webgpu'];
    options.preferredOutputLocation = Object.fromEntries(
      (tuning.gpuResidentOutputs ?? []).map((name) => [name, 'gpu-buffer' as const]),
    );
  }
  return options;
}

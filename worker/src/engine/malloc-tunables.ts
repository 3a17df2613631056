/**
 * Why processes that run the engine start with GLIBC_TUNABLES set (glibc's malloc).
 *
 * Every decode step, onnxruntime-node hands the step's outputs (about 100 MB of KV cache
 * for 16 rows of GPT-2 small) to JavaScript in fresh buffers, and the garbage collector
 * frees the previous step's from other threads. With glibc's defaults that memory went
 * back and forth to the kernel: the engine thread got an arena of its own (heaps it grows
 * and trims), freed tops were trimmed, large blocks were mmapped, and every reuse page-
 * faulted again. Measured on the 2-vCPU machine (2026-11-25):
 * - the same batches, alternating in one process between an engine on the main thread and
 *   one in a thread: the thread ran at 0.70-0.91x, slower batch after batch, with 7x the
 *   page faults; with one arena, at 0.92-1.34x;
 * - npm start, 4 rounds of 64 jobs in a row: 139, 137, 133, 121 tokens/s with 20,000 to
 *   60,000 page faults a round; with the settings below 192, 172, 156, 165 with about
 *   3,500 a round, and the same RSS (1.45-1.50 GB).
 *
 * The settings: one arena for all threads, freed memory kept (trim threshold 2 GiB) and
 * blocks up to 32 MiB (glibc's maximum) served from the heap instead of fresh mmaps.
 * glibc reads them once, at process start, so whatever starts the process sets them: the
 * npm scripts, the worker image, the test and dev harnesses. mallocTunablesWarning() says so when a
 * process was started without them.
 */
export const mallocTunables =
  'glibc.malloc.arena_max=1:glibc.malloc.trim_threshold=2147483648:glibc.malloc.mmap_threshold=33554432';

export const engineProcessEnv = { GLIBC_TUNABLES: mallocTunables } as const;

export function mallocTunablesWarning(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string | null {
  if (platform !== 'linux' || env.GLIBC_TUNABLES?.includes('glibc.malloc.') === true) {
    return null;
  }
  return `GLIBC_TUNABLES has no malloc settings: generation may run up to 30% slower as the KV cache's memory goes back and forth to the kernel (start the process with GLIBC_TUNABLES=${mallocTunables}, as npm start and the worker image do)`;
}

/**
 * Why processes that run the engine thread set MALLOC_ARENA_MAX=1.
 *
 * glibc gives every thread that allocates its own malloc arena. The engine thread's arena
 * is made of 64 MB heaps it grows and trims as onnxruntime-node hands each decode step's
 * ~100 MB of fresh output buffers to JavaScript and the garbage collector frees them from
 * other threads. Measured on the 2-vCPU machine (test of the same GPT-2-small batches,
 * alternating between an engine on the main thread and one in a thread, in one process,
 * 2026-11-25): in a thread with its own arena the engine ran at 0.70-0.91x the main
 * thread's speed, getting slower batch after batch, with 7x the page faults; with
 * MALLOC_ARENA_MAX=1 (every thread on the main arena) at 0.92-1.34x.
 *
 * glibc reads the variable once, at process start, so it is set by whatever starts the
 * process: the npm scripts, the worker image, the test and dev harnesses. `engineProcessEnv`
 * is that setting; arenaWarning() says so when a process was started without it.
 */
export const engineProcessEnv = { MALLOC_ARENA_MAX: '1' } as const;

export function arenaWarning(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string | null {
  if (platform !== 'linux' || env.MALLOC_ARENA_MAX !== undefined) {
    return null;
  }
  return 'MALLOC_ARENA_MAX is not set: the engine thread gets a malloc arena of its own, which made generation up to 30% slower (start the process with MALLOC_ARENA_MAX=1, as npm start and the worker image do)';
}

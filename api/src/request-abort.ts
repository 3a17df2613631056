import type { FastifyReply } from 'fastify';

/**
 * A signal that fires when the client goes away before its response is written, or when
 * the server starts closing. `dispose` detaches it from the server's long-lived signal so
 * finished requests leave no listeners behind.
 */
export function requestAbort(
  reply: FastifyReply,
  closing: AbortSignal,
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const onClose = () => {
    if (!reply.raw.writableFinished) {
      abort();
    }
  };
  if (closing.aborted) {
    abort();
  }
  closing.addEventListener('abort', abort, { once: true });
  reply.raw.once('close', onClose);
  return {
    signal: controller.signal,
    dispose: () => {
      closing.removeEventListener('abort', abort);
      reply.raw.off('close', onClose);
    },
  };
}

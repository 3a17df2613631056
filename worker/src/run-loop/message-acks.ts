import type { QueueMessage } from '@warmgen/shared/ports/job-queue.ts';
import type { RunLoopContext } from './run-loop-context.ts';

/**
 * Ack and nack after the store write that decided them. Neither throws: a failed ack only
 * means a redelivery, which finds the job terminal and is dropped; a failed nack means the
 * message comes back when its lease expires instead of now. The store stays right either way.
 */
export async function ackMessage(ctx: RunLoopContext, message: QueueMessage): Promise<void> {
  try {
    await ctx.queue.ack(message);
  } catch (error) {
    ctx.logger.warn(
      { jobId: message.jobId, err: error },
      'ack failed; a redelivery will be dropped',
    );
  }
}

export async function nackMessage(ctx: RunLoopContext, message: QueueMessage): Promise<void> {
  try {
    await ctx.queue.nack(message);
  } catch (error) {
    ctx.logger.warn(
      { jobId: message.jobId, err: error },
      'nack failed; the message returns when its lease expires',
    );
  }
}

import type { JobQueue } from '@warmgen/shared/ports/job-queue.ts';

/**
 * The job queue with one addition: after a publish lands, `onPublished` is called (the
 * launcher's nudge, which only arms a timer). The routes publish through this, so every
 * kind of accepted work reaches the launcher without any route knowing about it, and a
 * submission never waits on, or fails with, a scaling decision.
 */
export function nudgingQueue(queue: JobQueue, onPublished: () => void): JobQueue {
  return new Proxy(queue, {
    get(target, property, receiver) {
      if (property === 'publish') {
        return async (jobIds: string[]) => {
          await target.publish(jobIds);
          onPublished();
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

import { type HealthzProbeResult, startHealthzProbe } from './healthz-probe.ts';
import { mapConcurrently, submitJob } from './service-client.ts';
import { openStream, type ReceivedEvent, readAll } from './sse-client.ts';

/** What happened when many streams followed a batch of running jobs. */
export interface StreamsOverJobs {
  jobIds: string[];
  /** Stream i follows job i % jobs. */
  statuses: number[];
  events: ReceivedEvent[][];
  /** /healthz from before the streams opened until after the last one ended. */
  healthz: HealthzProbeResult;
}

/**
 * Submits `jobs` jobs, then opens `streams` streams over them (several per job) and reads
 * each to its end while a thread probes /healthz: the load the e2e test checks for
 * correctness and bench:stream times.
 */
export async function streamsOverJobs(
  baseUrl: string,
  options: { jobs: number; streams: number; maxNewTokens: number },
): Promise<StreamsOverJobs> {
  const submitted = await mapConcurrently(Array.from({ length: options.jobs }), 8, (_, i) =>
    submitJob(baseUrl, {
      prompt: `Row ${i}`,
      params: { max_new_tokens: options.maxNewTokens, seed: i },
    }),
  );
  const jobIds = submitted.map((job) => job.id);
  const probe = startHealthzProbe(`${baseUrl}/healthz`);
  const opened = await Promise.all(
    Array.from({ length: options.streams }, (_, i) =>
      openStream(`${baseUrl}/v1/generations/${jobIds[i % jobIds.length]!}/stream`),
    ),
  );
  const events = await Promise.all(opened.map((stream) => readAll(stream)));
  const healthz = await probe.stop();
  return { jobIds, statuses: opened.map((stream) => stream.status), events, healthz };
}

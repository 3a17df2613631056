/**
 * HTTP helpers for end-to-end tests: submit, wait, cancel and read results over real HTTP,
 * with the wire format (snake_case JSON views) typed loosely enough for assertions.
 */

export interface JobView {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';
  prompt: string;
  params: Record<string, unknown>;
  batch_id: string | null;
  custom_id: string | null;
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
  cancel_requested: boolean;
  result: {
    text: string;
    finish_reason: string;
    usage: { prompt_tokens: number; completion_tokens: number };
    timings: { queue_ms: number; generate_ms: number; tokens_per_second: number };
  } | null;
  error: { code: string; message: string } | null;
}

export interface BatchView {
  id: string;
  status: 'in_progress' | 'canceling' | 'completed' | 'canceled';
  total: number;
  counts: Record<JobView['status'], number>;
  retries: number;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

export interface BatchResultLine {
  custom_id: string;
  id: string;
  status: JobView['status'];
  result: JobView['result'];
  error: JobView['error'];
}

export interface GenerationInput {
  prompt: string;
  params?: Record<string, unknown>;
}

const terminalStatuses = new Set(['succeeded', 'failed', 'canceled']);

export function isTerminalStatus(status: string): boolean {
  return terminalStatuses.has(status);
}

export interface HttpReply<T> {
  status: number;
  body: T;
}

export async function requestJson<T>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpReply<T>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

/** POST /v1/generations; throws unless accepted (202, or 200 with Prefer: wait). */
export async function submitJob(
  baseUrl: string,
  input: GenerationInput,
  headers: Record<string, string> = {},
): Promise<JobView> {
  const reply = await requestJson<JobView>(baseUrl, 'POST', '/v1/generations', input, headers);
  if (reply.status !== 202 && reply.status !== 200) {
    throw new Error(`submit answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
  return reply.body;
}

export async function getJob(baseUrl: string, id: string, waitSeconds = 0): Promise<JobView> {
  const query = waitSeconds > 0 ? `?wait=${waitSeconds}` : '';
  const reply = await requestJson<JobView>(baseUrl, 'GET', `/v1/generations/${id}${query}`);
  if (reply.status !== 200) {
    throw new Error(`GET ${id} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
  return reply.body;
}

/** Long-polls until the job is terminal; throws after `timeoutMs`. */
export async function waitForJob(baseUrl: string, id: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const remainingSeconds = Math.floor((deadline - Date.now()) / 1000);
    const job = await getJob(baseUrl, id, Math.max(0, Math.min(20, remainingSeconds)));
    if (isTerminalStatus(job.status)) {
      return job;
    }
    if (Date.now() >= deadline) {
      throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    }
  }
}

/** Polls (cheap GETs) until `predicate` holds for the job; throws after `timeoutMs`. */
export async function waitForJobState(
  baseUrl: string,
  id: string,
  predicate: (job: JobView) => boolean,
  timeoutMs = 30_000,
): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(baseUrl, id);
    if (predicate(job)) {
      return job;
    }
    if (Date.now() >= deadline) {
      throw new Error(`job ${id} never reached the awaited state (last: ${job.status})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function cancelJob(baseUrl: string, id: string): Promise<HttpReply<JobView>> {
  return requestJson<JobView>(baseUrl, 'POST', `/v1/generations/${id}/cancel`);
}

export async function submitBatch(
  baseUrl: string,
  items: Array<GenerationInput & { custom_id: string }>,
): Promise<BatchView> {
  const reply = await requestJson<BatchView>(baseUrl, 'POST', '/v1/batches', { items });
  if (reply.status !== 202) {
    throw new Error(`batch submit answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
  return reply.body;
}

export async function getBatch(baseUrl: string, id: string): Promise<BatchView> {
  const reply = await requestJson<BatchView>(baseUrl, 'GET', `/v1/batches/${id}`);
  if (reply.status !== 200) {
    throw new Error(`GET batch ${id} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
  return reply.body;
}

/** Polls the batch until every job is terminal; throws after `timeoutMs`. */
export async function waitForBatch(baseUrl: string, id: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await getBatch(baseUrl, id);
    if (batch.status === 'completed' || batch.status === 'canceled') {
      return batch;
    }
    if (Date.now() >= deadline) {
      throw new Error(`batch ${id} still ${batch.status} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** GET /v1/batches/{id}/results, one parsed object per JSONL line, in the order sent. */
export async function batchResults(baseUrl: string, id: string): Promise<BatchResultLine[]> {
  const response = await fetch(`${baseUrl}/v1/batches/${id}/results`);
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`results of ${id} answered ${response.status}: ${text}`);
  }
  if (!/^application\/jsonl/.test(response.headers.get('content-type') ?? '')) {
    throw new Error(`results of ${id} came as ${response.headers.get('content-type')}`);
  }
  if (text !== '' && !text.endsWith('\n')) {
    throw new Error(`results of ${id} do not end with a newline`);
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as BatchResultLine);
}

/** Runs `task` over `inputs` with at most `concurrency` in flight; results in input order. */
export async function mapConcurrently<T, R>(
  inputs: readonly T[],
  concurrency: number,
  task: (input: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(inputs.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, inputs.length) }, async () => {
    while (next < inputs.length) {
      const index = next++;
      results[index] = await task(inputs[index] as T, index);
    }
  });
  await Promise.all(runners);
  return results;
}

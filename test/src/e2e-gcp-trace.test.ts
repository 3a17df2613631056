import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type JobView, requestJson } from './e2e/service-client.ts';
import { readJobs, waitForJobs } from './gcp-stack/stack-client.ts';
import { jsonLines, useGcpStack, workerReady } from './gcp-stack/use-gcp-stack.ts';

/**
 * The production processes (API and worker mains, BACKEND=gcp on the emulators) put the
 * Cloud Logging trace field on their lines: the API on a request's lines, from
 * `traceparent` or `X-Cloud-Trace-Context`; the worker on its lines for a job submitted
 * with one, so both show under the request's trace. The field needs the project id,
 * which only the mains' configuration has (a unit test that passes one proves nothing
 * about production).
 */
const stack = useGcpStack();
const field = 'logging.googleapis.com/trace';
const input = { prompt: 'Traced', params: { max_new_tokens: 4, temperature: 0 } };

describe('the Cloud Logging trace field in production', () => {
  it("is on the API's request lines and on the worker's lines for the job", async () => {
    const { db, secrets, endpoints, namespace } = await stack();
    const ns = await namespace();
    const api = await ns.startApi();
    const worker = ns.spawnWorker('worker');
    await workerReady(worker);

    const w3c = '4bf92f3577b34da6a3ce929d0e0e4736';
    const google = '0af7651916cd43dd8448eb211c80319c';
    const submit = async (headers: Record<string, string>) => {
      const reply = await requestJson<JobView>(api.baseUrl, 'POST', '/v1/generations', input, {
        authorization: `Bearer ${secrets.apiKey}`,
        ...headers,
      });
      assert.equal(reply.status, 202, JSON.stringify(reply.body));
      return reply.body.id;
    };
    const traced = {
      [await submit({ traceparent: `00-${w3c}-00f067aa0ba902b7-01` })]: w3c,
      [await submit({ 'x-cloud-trace-context': `${google.toUpperCase()}/6;o=1` })]: google,
    };
    const untraced = await submit({});
    await waitForJobs(
      db,
      ns.jobsCollection,
      (jobs) => jobs.length === 3 && jobs.every((job) => job.status === 'succeeded'),
      120_000,
    );
    assert.equal((await readJobs(db, ns.jobsCollection)).length, 3);
    assert.deepEqual(await worker.stop(), { code: 0, signal: null });
    assert.deepEqual(await api.process.stop(), { code: 0, signal: null });

    const want = (traceId: string) => `projects/${endpoints.projectId}/traces/${traceId}`;
    const submits = jsonLines(api.process).filter(
      (line) =>
        (line.httpRequest as { requestUrl?: string } | undefined)?.requestUrl === '/v1/generations',
    );
    assert.deepEqual(
      submits.map((line) => line[field] ?? null),
      [want(w3c), want(google), null],
      'one request line per submit, with its trace',
    );

    const workerLines = jsonLines(worker);
    for (const [jobId, traceId] of Object.entries(traced)) {
      const lines = workerLines.filter((line) => line.jobId === jobId);
      const messages = lines.map((line) => line.message);
      assert.ok(messages.includes('job claimed') && messages.includes('job succeeded'), jobId);
      for (const line of lines) {
        assert.equal(line[field], want(traceId), `worker line "${line.message}" for ${jobId}`);
      }
    }
    const plain = workerLines.filter((line) => line.jobId === untraced);
    assert.ok(plain.length >= 2);
    assert.ok(plain.every((line) => !(field in line)));
  });
});

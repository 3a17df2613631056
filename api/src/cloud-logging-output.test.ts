import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { traceIdOf } from '@warmgen/shared/logging/cloud-trace.ts';
import { loggerOptions } from '@warmgen/shared/logging/logger-options.ts';
import type { JobQueue } from '@warmgen/shared/ports/job-queue.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import { Registry } from 'prom-client';
import { buildApi } from './build-api.ts';

const limits = { maxBodyBytes: 1024, maxPromptChars: 10, maxBatchItems: 2, maxWaitSeconds: 1 };

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line));
      }
      done();
    },
  });
  return { lines, stream };
}

describe('Cloud Logging output', () => {
  it('writes one JSON line per request with severity, message, time, httpRequest and the trace', async () => {
    const { lines, stream } = capture();
    const app = buildApi({
      // The routes used here touch neither port.
      store: {} as JobStore,
      queue: {} as JobQueue,
      limits,
      isReady: () => true,
      registry: new Registry(),
      logger: { ...loggerOptions('info'), stream },
      traceProjectId: 'demo-project',
    });
    try {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const response = await app.inject({
        method: 'GET',
        url: '/v1/nowhere',
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'user-agent': 'probe/1' },
      });
      assert.equal(response.statusCode, 404);
      const requestLines = lines.filter((line) => 'httpRequest' in line);
      assert.equal(requestLines.length, 1);
      const [line] = requestLines;
      assert.ok(line);
      const httpRequest = line.httpRequest as { latency: string };
      assert.equal(line.severity, 'INFO');
      assert.equal(line.message, 'GET unmatched 404');
      assert.equal(typeof line.time, 'string');
      assert.ok(!Number.isNaN(Date.parse(String(line.time))));
      assert.equal(line.level, undefined, 'no pino level number');
      assert.equal(line['logging.googleapis.com/trace'], `projects/demo-project/traces/${traceId}`);
      assert.deepEqual(line.httpRequest, {
        requestMethod: 'GET',
        requestUrl: '/v1/nowhere',
        status: 404,
        latency: httpRequest.latency,
        userAgent: 'probe/1',
        remoteIp: '127.0.0.1',
      });
      assert.match(httpRequest.latency, /^\d+\.\d{3}s$/);
    } finally {
      await app.close();
    }
  });

  it('maps pino levels onto Cloud Logging severities', () => {
    const level = loggerOptions().formatters?.level;
    assert.ok(level);
    assert.deepEqual(level('warn', 40), { severity: 'WARNING' });
    assert.deepEqual(level('fatal', 60), { severity: 'CRITICAL' });
    assert.deepEqual(level('debug', 20), { severity: 'DEBUG' });
  });

  it('reads the trace id from traceparent or X-Cloud-Trace-Context', () => {
    const id = '0af7651916cd43dd8448eb211c80319c';
    assert.equal(traceIdOf({ traceparent: `00-${id}-b7ad6b7169203331-01` }), id);
    assert.equal(traceIdOf({ 'x-cloud-trace-context': `${id.toUpperCase()}/123;o=1` }), id);
    assert.equal(traceIdOf({ traceparent: 'garbage' }), null);
    assert.equal(traceIdOf({}), null);
  });
});

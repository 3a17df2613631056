import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { before, describe, it } from 'node:test';
import { sendRawRequest } from './e2e/raw-request.ts';
import { submitJob } from './e2e/service-client.ts';
import { useServices } from './e2e/service-fixture.ts';
import type { ServiceProcess } from './e2e/service-process.ts';
import { readStore } from './e2e/store-inspection.ts';
import { malformedRequests } from './fixtures/malformed-requests.ts';

/**
 * The whole malformed-request table, sent byte for byte to the real process (started with
 * no limit variables, so the table's default limits are the process's limits).
 */
describe('the real process refuses every malformed request with a 4xx and keeps serving', () => {
  const services = useServices();
  let service: ServiceProcess;

  before(async () => {
    service = await services.start();
  });

  it('sends the whole table (at least 80 kinds)', () => {
    assert.ok(malformedRequests.length >= 80, `only ${malformedRequests.length} cases`);
  });

  for (const testCase of malformedRequests) {
    it(`${testCase.name} -> ${testCase.expectStatus} ${testCase.expectCode}`, async () => {
      const response = await sendRawRequest(service.baseUrl, testCase);
      assert.equal(response.status, testCase.expectStatus, response.text);
      assert.ok(response.status >= 400 && response.status < 500);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      const body = JSON.parse(response.text);
      assert.deepEqual(Object.keys(body), ['error']);
      assert.equal(body.error.code, testCase.expectCode);
      assert.equal(typeof body.error.message, 'string');
      assert.ok(
        body.error.message.includes(testCase.expectInMessage),
        `message ${JSON.stringify(body.error.message)} lacks ${JSON.stringify(testCase.expectInMessage)}`,
      );
      const allowedKeys =
        body.error.details === undefined ? ['code', 'message'] : ['code', 'message', 'details'];
      assert.deepEqual(Object.keys(body.error), allowedKeys);
    });
  }

  it('answers a request line that is not HTTP with a 400 in the error shape', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(service.port, '127.0.0.1', () => {
        socket.write('THIS IS NOT HTTP\r\n\r\n');
      });
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        data += chunk;
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(text, /^HTTP\/1\.1 400 /);
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    assert.equal(body.error.code, 'bad_request');
  });

  it('still serves a good request afterwards, and is still ready', async () => {
    const job = await submitJob(
      service.baseUrl,
      { prompt: 'Still here?', params: { max_new_tokens: 4, seed: 5 } },
      { Prefer: 'wait=30' },
    );
    assert.equal(job.status, 'succeeded');
    assert.ok(job.result && job.result.text.length > 0);
    const ready = await fetch(`${service.baseUrl}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(service.logs().includes('"severity":"ERROR"'), false, 'no error was logged');
  });

  it('recorded only the good job: nothing malformed reached the store or the queue', async () => {
    const stopped = await service.stop();
    assert.deepEqual(stopped, { code: 0, signal: null });
    const snapshot = readStore(service.databasePath);
    assert.deepEqual(
      snapshot.jobs.map((job) => job.status),
      ['succeeded'],
    );
    assert.equal(snapshot.queueMessages, 0);
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { EventSource } from 'eventsource';
import { type JobView, submitJob } from './e2e/service-client.ts';
import { useServices } from './e2e/service-fixture.ts';
import { repoRoot, type ServiceProcess } from './e2e/service-process.ts';

const run = promisify(execFile);
const curlExample = join(repoRoot, 'examples', 'stream-curl.sh');
const eventSourceExample = join(repoRoot, 'examples', 'stream-eventsource.js');

/**
 * The README's streaming snippets, run against npm start: the curl lines with the real
 * curl, the browser snippet with the `eventsource` package's EventSource (the WhatWG API a
 * browser has), and both quoted in the README as they are.
 */
describe('the README streaming examples', () => {
  const services = useServices();
  let service: ServiceProcess;

  before(async () => {
    service = await services.start();
  });

  it('curl -N prints the events of a submitted stream, and of a job followed by id', async () => {
    const job = await submitJob(service.baseUrl, {
      prompt: 'Before',
      params: { max_new_tokens: 8 },
    });
    const { stdout } = await run('bash', [curlExample], {
      env: { PATH: process.env.PATH, WARMGEN_URL: service.baseUrl, JOB_ID: job.id },
      timeout: 60_000,
    });
    const streams = stdout.split(/(?<=event: done\ndata: .*\n)\n/).filter((part) => part.trim());
    assert.equal(streams.length, 2, stdout);
    for (const part of streams) {
      assert.match(part, /^id: job_\S+\.1\.\d+\nevent: text\ndata: \{"text":.*\}$/m);
      assert.match(
        part,
        /^id: job_\S+\.done\nevent: done\ndata: \{"id":"job_.*"status":"succeeded"/m,
      );
    }
    assert.ok(streams[1]!.includes(`"id":"${job.id}"`));
  });

  it('the EventSource snippet shows the text as it grows and ends with the finished job', async () => {
    const code = await readFile(eventSourceExample, 'utf8');
    const job = await submitJob(service.baseUrl, {
      prompt: 'Browser',
      params: { max_new_tokens: 80, seed: 4 },
    });
    const shown: string[] = [];
    const finishedJob = await new Promise<JobView>((resolve, reject) => {
      setTimeout(
        () => reject(new Error(`no done event; shown ${JSON.stringify(shown)}`)),
        60_000,
      ).unref();
      new Function('EventSource', 'baseUrl', 'jobId', 'show', 'finished', code)(
        EventSource,
        service.baseUrl,
        job.id,
        (text: string) => shown.push(text),
        resolve,
      );
    });
    assert.equal(finishedJob.status, 'succeeded');
    assert.equal(shown.at(-1), finishedJob.result!.text);
    assert.ok(shown.length >= 2, `${shown.length} updates`);
    // Each update extends the one before: the text grows, never jumps back.
    for (const [i, text] of shown.slice(1).entries()) {
      assert.ok(text.startsWith(shown[i]!));
    }
  });

  it('are quoted in the README as they are', async () => {
    const [readme = '', curl = '', browser = ''] = await Promise.all(
      [join(repoRoot, 'README.md'), curlExample, eventSourceExample].map((path) =>
        readFile(path, 'utf8'),
      ),
    );
    assert.ok(readme.includes(curl.trimEnd()), 'README has examples/stream-curl.sh verbatim');
    assert.ok(
      readme.includes(browser.trimEnd()),
      'README has examples/stream-eventsource.js verbatim',
    );
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createWarmgenClient, type WarmgenClient } from '@warmgen/client/client.ts';
import { type CliRun, runWarmgen, spawnWarmgen } from './e2e/cli-process.ts';
import { freePort } from './e2e/free-port.ts';
import { useServices } from './e2e/service-fixture.ts';
import { repoRoot, type ServiceProcess } from './e2e/service-process.ts';
import { readStore } from './e2e/store-inspection.ts';

/** Lines of a prompts file: custom_ids that are not in sorted order, a seed each. */
function promptLines(count: number, maxNewTokens: number, tag: string): string {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      custom_id: `${tag}-${String((i * 7) % count).padStart(3, '0')}-${i}`,
      prompt: `${tag} prompt number ${i}`,
      params: { max_new_tokens: maxNewTokens, seed: i },
    }),
  ).join('\n');
}

const ids = (jsonl: string) =>
  jsonl.split('\n').map((line) => (JSON.parse(line) as { custom_id: string }).custom_id);

async function resultLines(path: string) {
  const text = await readFile(path, 'utf8');
  return text
    .trimEnd()
    .split('\n')
    .map(
      (line) =>
        JSON.parse(line) as { custom_id: string; status: string; result: { text: string } | null },
    );
}

const explain = (run: CliRun) => `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;

/**
 * The `warmgen` CLI as a real child process against `npm start` (tiny model): submit with
 * progress, input-order results and resume; generate --wait; status; cancel; bad flags and
 * bad lines named; Ctrl-C leaving the batch running.
 */
describe('warmgen CLI on npm start', () => {
  const services = useServices();
  let service: ServiceProcess;
  let client: WarmgenClient;
  let dir: string;
  let env: Record<string, string>;
  const file = (name: string) => join(dir, name);

  before(async () => {
    service = await services.start({ env: { MAX_BATCH: '32' } });
    client = createWarmgenClient({ baseUrl: service.baseUrl });
    dir = await mkdtemp(join(tmpdir(), 'warmgen-cli-'));
    env = { WARMGEN_URL: service.baseUrl };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('submit: progress lines, every result in input order; the same command again resumes', async () => {
    const jsonl = promptLines(40, 4, 'resume');
    await writeFile(file('prompts.jsonl'), `${jsonl}\n`);
    const args = [
      'submit',
      file('prompts.jsonl'),
      '--out',
      file('results.jsonl'),
      '--interval-ms',
      '200',
    ];

    const first = await runWarmgen(args, { env, cwd: dir });
    assert.equal(first.code, 0, explain(first));
    const batchId = /submitted batch (batch_[\w-]+): 40 rows/.exec(first.stderr)?.[1];
    assert.ok(batchId, first.stderr);
    assert.match(
      first.stderr,
      new RegExp(
        `^${batchId}: \\d+/40 finished \\(\\d+ succeeded, 0 failed, 0 canceled\\), eta `,
        'm',
      ),
    );
    assert.match(
      first.stderr,
      new RegExp(
        `^${batchId}: 40/40 finished \\(40 succeeded, 0 failed, 0 canceled\\), eta 0s$`,
        'm',
      ),
    );
    assert.match(
      first.stderr,
      new RegExp(
        `batch ${batchId} completed: 40 succeeded, 0 failed, 0 canceled of 40; results in `,
      ),
    );
    const results = await resultLines(file('results.jsonl'));
    assert.deepEqual(
      results.map((r) => r.custom_id),
      ids(jsonl),
      'input order',
    );
    assert.ok(results.every((r) => r.status === 'succeeded' && typeof r.result?.text === 'string'));

    const again = await runWarmgen(args, { env, cwd: dir });
    assert.equal(again.code, 0, explain(again));
    assert.match(
      again.stderr,
      new RegExp(`resuming batch ${batchId} \\(.*submitted before; 40/40 finished\\)`),
    );
    assert.deepEqual(await resultLines(file('results.jsonl')), results, 'the same results');
    const stored = readStore(service.databasePath).jobs.filter((job) =>
      job.customId?.startsWith('resume-'),
    );
    assert.equal(stored.length, 40, 'no row submitted twice');

    const fresh = await runWarmgen([...args, '--no-resume'], { env, cwd: dir });
    assert.equal(fresh.code, 0, explain(fresh));
    assert.doesNotMatch(fresh.stderr, new RegExp(batchId));
  });

  it('submit without --out writes the results to stdout; a failed row makes exit 1', async () => {
    await writeFile(file('small.jsonl'), promptLines(3, 2, 'stdout'));
    const run = await runWarmgen(['submit', file('small.jsonl'), '--interval-ms', '100'], { env });
    assert.equal(run.code, 0, explain(run));
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((l) => l.custom_id),
      ids(promptLines(3, 2, 'stdout')),
    );

    // A batch canceled under a running submit finishes with rows canceled: exit 1.
    await writeFile(file('long.jsonl'), promptLines(64, 200, 'canceled'));
    const running = spawnWarmgen(
      ['submit', file('long.jsonl'), '--out', file('long-results.jsonl'), '--interval-ms', '100'],
      { env },
    );
    const stderr = await running.stderrMatching(/submitted batch (batch_[\w-]+)/);
    const batchId = /submitted batch (batch_[\w-]+)/.exec(stderr)?.[1] ?? '';
    const cancel = await runWarmgen(['cancel', batchId], { env });
    assert.equal(cancel.code, 0, explain(cancel));
    assert.match(cancel.stdout, new RegExp(`^${batchId} (canceling|canceled): `));
    const done = await running.done;
    assert.equal(done.code, 1, explain(done));
    assert.match(
      done.stderr,
      new RegExp(`batch ${batchId} canceled: \\d+ succeeded, 0 failed, \\d+ canceled of 64`),
    );
    const results = await resultLines(file('long-results.jsonl'));
    assert.equal(results.length, 64);
    assert.ok(results.some((r) => r.status === 'canceled'));

    // retry runs the canceled rows again: every row succeeds, the results in input order.
    const retried = await runWarmgen(
      ['retry', batchId, '--out', file('retried.jsonl'), '--interval-ms', '100'],
      { env },
    );
    assert.equal(retried.code, 0, explain(retried));
    assert.match(
      retried.stderr,
      new RegExp(`retrying \\d+ rows of batch ${batchId} \\(retry 1\\)`),
    );
    assert.match(retried.stderr, new RegExp(`batch ${batchId} completed: 64 succeeded, 0 failed`));
    const after = await resultLines(file('retried.jsonl'));
    assert.deepEqual(
      after.map((r) => r.custom_id),
      ids(promptLines(64, 200, 'canceled')),
    );
    assert.deepEqual(new Set(after.map((r) => r.status)), new Set(['succeeded']));
    // The rows that had succeeded kept their text.
    for (const [i, before] of results.entries()) {
      if (before.status === 'succeeded') {
        assert.equal(after[i]!.result?.text, before.result?.text);
      }
    }
    // Nothing left to retry: the server's 409, named (exit 2).
    const again = await runWarmgen(['retry', batchId], { env });
    assert.equal(again.code, 2, explain(again));
    assert.match(again.stderr, new RegExp(`batch ${batchId}: .*HTTP 409`));
  });

  it('generate --wait prints the text; without it the job id, which status and cancel take', async () => {
    const waited = await runWarmgen(
      ['generate', 'Once upon a time', '--max-new-tokens', '5', '--seed', '7', '--wait'],
      { env },
    );
    assert.equal(waited.code, 0, explain(waited));
    const jobId = /^(job_[\w-]+) succeeded \(length, 5 tokens\)$/m.exec(waited.stderr)?.[1];
    assert.ok(jobId, waited.stderr);
    const { data: job } = await client.api.GET('/v1/generations/{id}', {
      params: { path: { id: jobId } },
    });
    assert.equal(waited.stdout, `${job?.result?.text}\n`);
    assert.deepEqual(job?.params.seed, 7);

    const status = await runWarmgen(['status', jobId], { env });
    assert.equal(status.code, 0, explain(status));
    assert.equal(status.stdout, `${jobId} succeeded (length, 5 tokens)\n`);
    const json = await runWarmgen(['status', jobId, '--json'], { env });
    assert.equal(JSON.parse(json.stdout).result.text, job?.result?.text);

    // A job that is still waiting when cancel comes: queued behind a batch that fills every
    // row (alone, the tiny model can finish 1,000 tokens before the next CLI process starts).
    const filler = await client.submitJsonl(promptLines(64, 1000, 'filler'));
    const queued = await runWarmgen(['generate', 'A long story', '--max-new-tokens', '1000'], {
      env,
    });
    assert.equal(queued.code, 0, explain(queued));
    const longId = queued.stdout.trim();
    assert.match(longId, /^job_\S+$/);
    const cancel = await runWarmgen(['cancel', longId], { env });
    assert.equal(cancel.code, 0, explain(cancel));
    assert.match(
      cancel.stdout,
      new RegExp(`^${longId} (canceled|running \\(cancel requested\\)|queued)`),
    );
    // Canceling it again once it has finished is the server's 409, named.
    for (;;) {
      const { data } = await client.api.GET('/v1/generations/{id}', {
        params: { path: { id: longId }, query: { wait: 10 } },
      });
      if (data?.status === 'canceled') {
        break;
      }
    }
    await client.api.POST('/v1/batches/{id}/cancel', {
      params: { path: { id: filler.batch.id } },
    });
    const twice = await runWarmgen(['cancel', longId], { env });
    assert.equal(twice.code, 2, explain(twice));
    assert.match(
      twice.stderr,
      new RegExp(`warmgen: ${longId}: .*cannot be canceled.* \\(HTTP 409 conflict\\)`),
    );

    const batchStatus = await runWarmgen(['status', 'batch_doesNotExist'], { env });
    assert.equal(batchStatus.code, 2, explain(batchStatus));
    assert.match(
      batchStatus.stderr,
      /batch_doesNotExist: batch batch_doesNotExist does not exist \(HTTP 404 not_found\)/,
    );
  });

  it('names every bad flag and argument (exit 2)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Usage: warmgen/],
      [['bogus'], /unknown command 'bogus'/],
      [['generate'], /missing required argument 'prompt'/],
      [
        ['generate', 'hi', '--max-new-tokens', 'ten'],
        /'-n, --max-new-tokens <n>' argument 'ten' is invalid\. must be an integer/,
      ],
      [
        ['generate', 'hi', '--max-new-tokens', '5000'],
        /--max-new-tokens must be <= 1024 \(HTTP 400 validation_failed\)/,
      ],
      [
        ['generate', 'hi', '--temperature', 'hot'],
        /'-t, --temperature <t>' argument 'hot' is invalid/,
      ],
      [['generate', 'hi', '--temperature', '9'], /--temperature must be <= 5/],
      [['generate', ''], /PROMPT must not be empty/],
      [['generate', 'hi', '--colour'], /unknown option '--colour'/],
      [['submit'], /missing required argument 'file'/],
      [['submit', file('missing.jsonl')], /missing\.jsonl: cannot read the file \(ENOENT\)/],
      [
        ['submit', 'x.jsonl', '--interval-ms', '0'],
        /'--interval-ms <ms>' argument '0' is invalid\. must be between 50 and 600000/,
      ],
      [
        ['status', 'nonsense'],
        /ID must be a job id \(job_…\) or a batch id \(batch_…\), got "nonsense"/,
      ],
      [['cancel'], /missing required argument 'id'/],
    ];
    for (const [args, message] of cases) {
      const run = await runWarmgen(args, { env });
      assert.equal(run.code, 2, `${args.join(' ')}: ${explain(run)}`);
      assert.match(run.stderr, message, args.join(' '));
    }
    const badUrl = await runWarmgen(['status', 'job_x'], {
      env: { WARMGEN_URL: 'localhost:8080' },
    });
    assert.equal(badUrl.code, 2, explain(badUrl));
    assert.match(badUrl.stderr, /WARMGEN_URL must be an http\(s\) URL/);
  });

  it('names the bad line of a file (exit 2) and submits none of it', async () => {
    const good = (i: number) => JSON.stringify({ custom_id: `bad-${i}`, prompt: `p${i}` });
    const cases: Array<[string, RegExp]> = [
      [
        `${good(1)}\n{"custom_id": "bad-2", "prompt": \n${good(3)}`,
        /bad\.jsonl: line 2 is not valid JSON/,
      ],
      [
        `${good(1)}\n${good(2)}\n{"custom_id":"bad-3","prompt":"x","params":{"temperature":9}}`,
        /bad\.jsonl: line 3\/params\/temperature must be <= 5/,
      ],
      [
        `${good(1)}\n${good(2)}\n${good(1)}`,
        /bad\.jsonl: line 3\/custom_id "bad-1" repeats the custom_id of line 1/,
      ],
      [
        `${good(1)}\n{"prompt":"no id"}`,
        /bad\.jsonl: line 2 must have required property 'custom_id'|line 2\/custom_id/,
      ],
      ['\n\n', /bad\.jsonl: body has no items/],
    ];
    for (const [content, message] of cases) {
      await writeFile(file('bad.jsonl'), content);
      const run = await runWarmgen(
        ['submit', file('bad.jsonl'), '--out', file('bad-results.jsonl')],
        { env },
      );
      assert.equal(run.code, 2, explain(run));
      assert.match(run.stderr, message);
    }
    assert.equal(
      readStore(service.databasePath).jobs.filter((job) => job.customId?.startsWith('bad-')).length,
      0,
    );
  });

  it('Ctrl-C leaves the batch running and says how to resume; the same command then finishes it', async () => {
    await writeFile(file('interrupt.jsonl'), promptLines(64, 48, 'sigint'));
    const args = [
      'submit',
      file('interrupt.jsonl'),
      '--out',
      file('interrupt-results.jsonl'),
      '--interval-ms',
      '100',
    ];
    const running = spawnWarmgen(args, { env, cwd: dir });
    const stderr = await running.stderrMatching(/: \d+\/64 finished/);
    const batchId = /submitted batch (batch_[\w-]+)/.exec(stderr)?.[1] ?? '';
    running.child.kill('SIGINT');
    const interrupted = await running.done;
    assert.equal(interrupted.code, 130, explain(interrupted));
    assert.match(
      interrupted.stderr,
      new RegExp(
        `warmgen: interrupted: batch ${batchId} keeps running on the server\\. Resume with the same command: ` +
          `warmgen submit ${file('interrupt.jsonl')} --out ${file('interrupt-results.jsonl')}`,
      ),
    );
    const { data: batch } = await client.api.GET('/v1/batches/{id}', {
      params: { path: { id: batchId } },
    });
    assert.equal(batch?.counts.canceled, 0, 'nothing canceled');
    assert.ok(batch && ['in_progress', 'completed'].includes(batch.status));

    const resumed = await runWarmgen(args, { env, cwd: dir });
    assert.equal(resumed.code, 0, explain(resumed));
    assert.match(resumed.stderr, new RegExp(`resuming batch ${batchId}`));
    const results = await resultLines(file('interrupt-results.jsonl'));
    assert.deepEqual(
      results.map((r) => r.custom_id),
      ids(promptLines(64, 48, 'sigint')),
    );
    assert.ok(results.every((r) => r.status === 'succeeded'));
  });

  it('Ctrl-C during generate --wait names the job, which keeps running', async () => {
    const running = spawnWarmgen(
      ['generate', 'A very long story', '--max-new-tokens', '1000', '--wait'],
      { env },
    );
    // Interrupted while it waits, once the job is accepted.
    await running.stderrMatching(/submitted job job_[\w-]+; waiting/);
    running.child.kill('SIGINT');
    const run = await running.done;
    assert.equal(run.code, 130, explain(run));
    const jobId =
      /interrupted: job (job_[\w-]+) keeps running on the server; see it with: warmgen status job_/.exec(
        run.stderr,
      )?.[1];
    assert.ok(jobId, run.stderr);
    const { data: job } = await client.api.GET('/v1/generations/{id}', {
      params: { path: { id: jobId } },
    });
    assert.ok(job && !job.cancel_requested && job.status !== 'canceled', JSON.stringify(job));
    await client.api.POST('/v1/generations/{id}/cancel', { params: { path: { id: jobId } } });
  });

  it('runs as npx warmgen and npm run warmgen from the repository', async () => {
    const { spawnSync } = await import('node:child_process');
    for (const command of [
      ['npx', 'warmgen', '--help'],
      ['npm', 'run', '--silent', 'warmgen', '--', '--help'],
    ]) {
      const [bin = '', ...args] = command;
      const run = spawnSync(bin, args, {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      });
      assert.equal(run.status, 0, `${command.join(' ')}: ${run.stderr}`);
      assert.match(run.stdout, /^Usage: warmgen \[options\] \[command\]/m, command.join(' '));
      assert.match(run.stdout, /130 {2}interrupted \(Ctrl-C\)/, command.join(' '));
    }
  });

  it('exits 3 when the server cannot be reached', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const run = await runWarmgen(['status', 'job_x'], { env: { WARMGEN_URL: closed } });
    assert.equal(run.code, 3, explain(run));
    assert.match(
      run.stderr,
      /job_x: cannot reach the server \(ECONNREFUSED\); is WARMGEN_URL right\?/,
    );
  });
});

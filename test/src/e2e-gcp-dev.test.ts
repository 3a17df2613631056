import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BatchView, requestJson } from './e2e/service-client.ts';
import { freePort } from './emulators/free-port.ts';
import { inheritedEnv, repoRoot } from './gcp-stack/stack-env.ts';
import { startProcess, tail } from './gcp-stack/supervised-process.ts';

/**
 * `npm run dev:gcp` as a user runs it, with two workers: the whole stack comes up, the curl
 * line it prints works; a worker killed with SIGKILL is restarted and every job of a batch
 * in flight completes; and Ctrl-C (SIGINT to the supervisor alone, as a terminal sends it:
 * the children run in process groups of their own) stops every process it started, the
 * restarted worker included. The steps share one stack (it takes a while to start).
 */
describe('npm run dev:gcp', () => {
  const dev = startLater();
  let main: ReturnType<typeof dev.start>;
  let baseUrl = '';
  let auth: Record<string, string> = {};
  let addresses: string[] = [];
  after(async () => {
    // A supervisor stopped by SIGTERM stops its children; kill it only if that hangs.
    await dev.current?.stop(60_000);
  });

  it('serves a generation on the Google Cloud adapters', async (t) => {
    const port = await freePort();
    main = dev.start(port);
    try {
      await main.waitForLine(/Ctrl-C stops everything/, 240_000);
    } catch (error) {
      t.diagnostic(tail(main.lines(), 80));
      throw error;
    }
    const output = main.lines().join('\n');
    const key = /API key: (wg_local_[0-9a-f]+)/.exec(output)?.[1];
    assert.ok(key, 'the banner shows the API key it set');
    auth = { authorization: `Bearer ${key}` };
    baseUrl = `http://127.0.0.1:${port}`;
    assert.match(
      output,
      new RegExp(`curl -s ${baseUrl}/v1/generations -H 'Authorization: Bearer ${key}'`),
    );
    assert.match(
      output,
      /\[worker-1\] +INFO +model ready: 7 files/,
      'the worker hydrated from the GCS test server',
    );
    assert.match(
      output,
      /\[api\] +INFO +warmgen API ready/,
      'API logs are forwarded with a prefix',
    );

    const unauthorized = await requestJson(baseUrl, 'POST', '/v1/generations', { prompt: 'x' });
    assert.equal(unauthorized.status, 401, 'BACKEND=gcp requires the key');
    const reply = await requestJson<{ status: string; result: { text: string } | null }>(
      baseUrl,
      'POST',
      '/v1/generations',
      { prompt: 'Once upon a time', params: { max_new_tokens: 8 } },
      { ...auth, prefer: 'wait=60' },
    );
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.status, 'succeeded');
    assert.ok((reply.body.result?.text.length ?? 0) > 0);

    addresses = [
      `127.0.0.1:${port}`,
      /Pub\/Sub +emulator on (\S+)/.exec(output)?.[1] ?? '',
      /Firestore +emulator on (\S+)/.exec(output)?.[1] ?? '',
      /GCS test server http:\/\/(\S+)/.exec(output)?.[1] ?? '',
    ];
    for (const address of addresses) {
      assert.ok(address && (await accepts(address)), `${address} is up`);
    }
  });

  it('restarts a worker killed with SIGKILL, keeps serving, and completes every job', async (t) => {
    assert.ok(baseUrl, 'the stack is up');
    const items = Array.from({ length: 120 }, (_, i) => ({
      custom_id: `item-${String(i).padStart(3, '0')}`,
      prompt: `Item ${i} says`,
      params: { max_new_tokens: 96, seed: i },
    }));
    const submitted = Date.now();
    const batch = await requestJson<BatchView>(baseUrl, 'POST', '/v1/batches', { items }, auth);
    assert.equal(batch.status, 202, JSON.stringify(batch.body));
    const counts = async () =>
      (
        await requestJson<BatchView>(
          baseUrl,
          'GET',
          `/v1/batches/${batch.body.id}`,
          undefined,
          auth,
        )
      ).body;
    // Kill mid-batch: once work has started and well before it is done.
    while ((await counts()).counts.succeeded === 0) {
      await sleep(50);
    }
    const victim = Number(
      /dev:gcp: worker-1 started \(pid (\d+)\)/.exec(main.lines().join('\n'))?.[1],
    );
    assert.ok(victim > 0, 'the supervisor logs each worker pid');
    const before = await counts();
    process.kill(victim, 'SIGKILL');
    const killedAt = Date.now();

    await main.waitForLine(
      /dev:gcp: worker-1 exited \(code null, signal SIGKILL\); restarting in 1 s/,
      30_000,
    );
    const restarted = await main.waitForLine(
      new RegExp(`dev:gcp: worker-1 started \\(pid (?!${victim}\\))\\d+\\)`),
      30_000,
    );
    const health = await fetch(`${baseUrl}/healthz`);
    assert.equal(health.status, 200, 'the API kept serving');
    assert.match(main.lines().join('\n'), /\[worker-2\]/, 'the other worker kept its place');

    const deadline = Date.now() + 180_000;
    let done = await counts();
    while (done.status !== 'completed' && Date.now() < deadline) {
      await sleep(500);
      done = await counts();
    }
    assert.equal(done.status, 'completed', JSON.stringify(done.counts));
    assert.deepEqual(done.counts, {
      queued: 0,
      running: 0,
      succeeded: 120,
      failed: 0,
      canceled: 0,
    });
    const readyLines = main.lines().filter((l) => /\[worker-1\] .*warmgen worker ready/.test(l));
    assert.equal(readyLines.length, 2, 'worker-1 came up again');
    t.diagnostic(
      `killed worker-1 at ${before.counts.succeeded}/120 succeeded (${before.counts.running} running); ${restarted}; batch completed ${Math.round((Date.now() - killedAt) / 1000)} s after the kill, ${Math.round((Date.now() - submitted) / 1000)} s after submit`,
    );
    assert.equal(main.hasExited, false, 'dev:gcp is still running');
  });

  it('stops everything on Ctrl-C, the restarted worker included', async () => {
    assert.ok(baseUrl, 'the stack is up');
    const workerPids = [
      ...main
        .lines()
        .join('\n')
        .matchAll(/worker-\d started \(pid (\d+)\)/g),
    ].map((match) => Number(match[1]));
    assert.equal(workerPids.length, 3, 'worker-1, worker-2 and worker-1 again');
    main.signal('SIGINT');
    const status = await main.exited;
    assert.deepEqual(status, { code: 0, signal: null }, tail(main.lines()));
    assert.match(main.lines().join('\n'), /dev:gcp: stopped/);
    for (const address of addresses) {
      assert.equal(await accepts(address), false, `${address} is down`);
    }
    for (const pid of workerPids) {
      assert.equal(isAlive(pid), false, `worker pid ${pid} is gone`);
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function startLater() {
  const holder = {
    current: undefined as ReturnType<typeof startProcess> | undefined,
    start(port: number) {
      const started = startProcess({
        name: 'dev:gcp',
        command: process.execPath,
        args: [
          join(repoRoot, 'tools', 'dev-gcp', 'main.ts'),
          '--port',
          String(port),
          '--workers',
          '2',
        ],
        // Pub/Sub's shortest ack deadline: the killed worker's jobs come back after ~10 s.
        env: { ...inheritedEnv(), METADATA_SERVER_DETECTION: 'none', LEASE_SECONDS: '10' },
        cwd: repoRoot,
      });
      holder.current = started;
      return Object.assign(started, {
        // Only the supervisor, not its group: what a terminal's Ctrl-C reaches.
        signal: (name: NodeJS.Signals) => process.kill(started.pid, name),
      });
    },
  };
  return holder;
}

function accepts(address: string): Promise<boolean> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

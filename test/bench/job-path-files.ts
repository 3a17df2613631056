import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { repoRoot, startService } from '../src/e2e/service-process.ts';

/**
 * `node test/bench/job-path-files.ts`: which project files hold code that runs for one
 * job's way (submit → store → queue → worker → engine → result → poll), the measure of
 * issue 14's simplicity target.
 *
 * How: V8's own coverage (NODE_V8_COVERAGE, which covers the engine's worker thread too)
 * of two `npm start` processes on the tiny model, each kept up the same time after /readyz:
 *   idle  started, waited, stopped: start-up, idle polling and shutdown
 *   job   the same, with one job submitted and polled to `succeeded` while it waited
 * A project file (not node_modules, not a test) counts when the job run executed a function
 * or block of it that the idle run never executed: code that ran because of the job, not
 * because the process started or a timer ticked. `--runs N` repeats both and keeps, per
 * file, what every pair agrees on (a timer that happened to take a rare branch once is not
 * the job's). The table lists the files; the JSON goes to bench-results/.
 */
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '2' },
    'hold-ms': { type: 'string', default: '4000' },
  },
});
const runs = Number(values.runs);
const holdMs = Number(values['hold-ms']);

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface ScriptCoverage {
  url: string;
  functions: Array<{ functionName: string; ranges: Range[] }>;
}

/** Per project file, each executed piece of code (function + range) and its count. */
type Executed = Map<string, Map<string, number>>;

const isProjectSource = (path: string): boolean =>
  !path.includes('/node_modules/') &&
  !path.endsWith('.test.ts') &&
  !path.includes('/test-support/') &&
  path.endsWith('.ts');

async function readCoverage(dir: string): Promise<Executed> {
  const executed: Executed = new Map();
  for (const name of await readdir(dir)) {
    const { result } = JSON.parse(await readFile(join(dir, name), 'utf8')) as {
      result: ScriptCoverage[];
    };
    for (const script of result) {
      if (!script.url.startsWith('file://')) {
        continue;
      }
      const path = relative(repoRoot, fileURLToPath(script.url));
      if (path.startsWith('..') || !isProjectSource(path)) {
        continue;
      }
      const keys = executed.get(path) ?? new Map<string, number>();
      for (const fn of script.functions) {
        for (const range of fn.ranges) {
          if (range.count > 0) {
            const key = `${fn.functionName}@${range.startOffset}-${range.endOffset}`;
            keys.set(key, (keys.get(key) ?? 0) + range.count);
          }
        }
      }
      executed.set(path, keys);
    }
  }
  return executed;
}

async function runOnce(withJob: boolean): Promise<Executed> {
  const coverageDir = await mkdtemp(join(tmpdir(), 'warmgen-cov-'));
  const service = await startService({ env: { NODE_V8_COVERAGE: coverageDir } });
  const heldUntil = Date.now() + holdMs;
  if (withJob) {
    const submitted = await fetch(`${service.baseUrl}/v1/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'The quick brown fox', params: { max_new_tokens: 8 } }),
    });
    const { id } = (await submitted.json()) as { id: string };
    for (;;) {
      const polled = await fetch(`${service.baseUrl}/v1/generations/${id}?wait=5`);
      const job = (await polled.json()) as { status: string };
      if (job.status === 'succeeded') {
        break;
      }
      if (job.status !== 'queued' && job.status !== 'running') {
        throw new Error(`the job ended ${job.status}: ${JSON.stringify(job)}`);
      }
    }
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, heldUntil - Date.now())));
  const status = await service.stop();
  if (status.code !== 0) {
    throw new Error(`npm start exited ${JSON.stringify(status)}:\n${service.logs()}`);
  }
  const executed = await readCoverage(coverageDir);
  await rm(coverageDir, { recursive: true, force: true });
  await rm(service.dataDir, { recursive: true, force: true });
  return executed;
}

/**
 * Files with code that ran in `job` and never in `idle` (`newCode`), and the wider count of
 * files with code that ran more often in `job` (`ranMore`: it also takes in code that idle
 * timers run too, such as a pull loop's turns, so it moves with timing).
 */
function jobFiles(job: Executed, idle: Executed, rule: 'newCode' | 'ranMore'): Set<string> {
  const files = new Set<string>();
  for (const [path, keys] of job) {
    const idleKeys = idle.get(path) ?? new Map<string, number>();
    const differs = (key: string, count: number) =>
      rule === 'newCode' ? !idleKeys.has(key) : count > (idleKeys.get(key) ?? 0);
    if ([...keys].some(([key, count]) => differs(key, count))) {
      files.add(path);
    }
  }
  return files;
}

// A first run builds the tiny model into the cache if needed, so both measured runs find it.
await runOnce(false);
let agreed: Set<string> | null = null;
let ranMore: Set<string> | null = null;
let loadedFiles = 0;
const intersect = (a: Set<string> | null, b: Set<string>) =>
  a === null ? b : new Set([...a].filter((path) => b.has(path)));
for (let run = 0; run < runs; run++) {
  const idle = await runOnce(false);
  const job = await runOnce(true);
  loadedFiles = job.size;
  agreed = intersect(agreed, jobFiles(job, idle, 'newCode'));
  ranMore = intersect(ranMore, jobFiles(job, idle, 'ranMore'));
}
const jobPath = [...(agreed ?? [])].sort();
const ranMoreFiles = [...(ranMore ?? [])].sort();
const byFolder = new Map<string, number>();
for (const path of jobPath) {
  const folder = path.split('/').slice(0, 3).join('/');
  byFolder.set(folder, (byFolder.get(folder) ?? 0) + 1);
}

const load = loadavg().map((value) => value.toFixed(2));
console.log(`files on one job's way: ${jobPath.length} (of ${loadedFiles} project files loaded)`);
console.log(`files with code that ran more often in the job run: ${ranMoreFiles.length}`);
console.log(`load average ${load.join(' ')}; ${runs} idle/job pairs, held ${holdMs} ms each`);
console.log('| folder | files |\n| --- | --- |');
for (const [folder, count] of [...byFolder].sort()) {
  console.log(`| ${folder} | ${count} |`);
}
for (const path of jobPath) {
  console.log(`  ${path}`);
}
const outDir = join(repoRoot, 'bench-results');
await mkdir(outDir, { recursive: true });
const outFile = join(
  outDir,
  `job-path-files-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
);
await writeFile(
  outFile,
  `${JSON.stringify(
    { files: jobPath, ranMoreFiles, loadedFiles, runs, holdMs, loadavg: loadavg() },
    null,
    2,
  )}\n`,
);
console.log(`written ${relative(repoRoot, outFile)}`);

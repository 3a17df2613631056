import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'warmgen-model-cli-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

test('builds the tiny model and prints a summary line', async () => {
  const out = join(work, 'tiny');
  const { code, stdout } = await runCli(['--size', 'tiny', '--out', out, '--seed', '3']);
  assert.equal(code, 0);
  assert.match(
    stdout,
    /^built tiny model \(seed 3\) in .*: 3,382,080 parameters, [\d,]+ bytes, \d+\.\d s\n$/,
  );
  assert.ok((await stat(join(out, 'onnx', 'model.onnx'))).size > 1_000_000);
});

test('--help prints usage and exits 0; a bad size exits 2 naming the sizes', async () => {
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--size tiny\|small --out DIR/);
  const bad = await runCli(['--size', 'huge', '--out', join(work, 'x')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--size is "huge": expected one of tiny, small/);
});

test('an unwritable --out exits 1 with a message naming the folder', async () => {
  const file = join(work, 'plain-file');
  await writeFile(file, '');
  const { code, stderr } = await runCli(['--size', 'tiny', '--out', join(file, 'model')]);
  assert.equal(code, 1);
  assert.match(stderr, /cannot create model folder .*plain-file\/model/);
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { it } from 'node:test';
import { repoRoot } from './e2e/service-process.ts';

/** What a new user meets first: the npm commands themselves. */
const scripts = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

it('npm commands print no warning (the project .npmrc holds only settings npm knows)', () => {
  const run = spawnSync(npm, ['pkg', 'get', 'name'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), '"warmgen"');
  assert.doesNotMatch(run.stderr, /npm warn/i);
});

it('a lint warning fails the lint script, which npm test runs', (t) => {
  assert.match(scripts.test ?? '', /npm run lint/);
  const dir = mkdtempSync(join(tmpdir(), 'warmgen-lint-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // biome.json reads .gitignore through git, so the scratch folder is a repository too.
  spawnSync('git', ['init', '-q'], { cwd: dir });
  copyFileSync(join(repoRoot, 'biome.json'), join(dir, 'biome.json'));
  // An unused variable: a warning in Biome's recommended set, not an error.
  writeFileSync(
    join(dir, 'unused.ts'),
    'export function f(): number {\n  const unused = 1;\n  return 2;\n}\n',
  );
  const env = {
    ...process.env,
    PATH: `${join(repoRoot, 'node_modules', '.bin')}${delimiter}${process.env.PATH}`,
  };
  const lint = (command: string) =>
    spawnSync('sh', ['-c', command], { cwd: dir, env, encoding: 'utf8' });

  const plain = lint((scripts.lint ?? '').replace(' --error-on-warnings', ''));
  assert.equal(
    plain.status,
    0,
    `without the flag the warning passes: ${plain.stdout}${plain.stderr}`,
  );
  const project = lint(scripts.lint ?? '');
  assert.notEqual(project.status, 0, 'the project lint script fails');
  assert.match(project.stdout + project.stderr, /noUnusedVariables/);
});

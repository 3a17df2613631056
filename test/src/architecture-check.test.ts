import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { repoRoot } from './e2e/service-process.ts';

/**
 * `npm run check:architecture` (part of `npm test`) runs dependency-cruiser with the
 * rules in .dependency-cruiser.cjs over the whole tree. Here the same command and rules
 * run over a small tree that breaks each rule once, next to imports that are allowed.
 */
const cli = join(repoRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');
const config = join(repoRoot, '.dependency-cruiser.cjs');

const files: Record<string, string> = {
  'api/src/uses-worker.ts': "import { x } from '../../worker/src/thing.ts';\nexport const y = x;\n",
  'api/src/types.ts': 'export interface Shape {\n  n: number;\n}\n',
  'api/src/firestore-here.ts':
    "import { Firestore } from '@google-cloud/firestore';\nexport const f = Firestore;\n",
  'api/src/engine-here.ts':
    "import { InferenceSession } from 'onnxruntime-node';\nexport const s = InferenceSession;\n",
  'worker/src/thing.ts': 'export const x = 1;\n',
  // A type-only import is a dependency too.
  'worker/src/uses-api.ts':
    "import type { Shape } from '../../api/src/types.ts';\nexport const z: Shape = { n: 1 };\n",
  'worker/src/run-loop/sqlite-here.ts':
    "import { DatabaseSync } from 'node:sqlite';\nexport const d = DatabaseSync;\n",
  'worker/src/engine/engine.ts':
    "import { InferenceSession } from 'onnxruntime-node';\nexport const s = InferenceSession;\n",
  'shared/src/leaks.ts':
    "import type { Shape } from '../../api/src/types.ts';\nexport type S = Shape;\n",
  'shared/src/cycle-a.ts': "import { b } from './cycle-b.ts';\nexport const a = () => b;\n",
  'shared/src/cycle-b.ts': "import { a } from './cycle-a.ts';\nexport const b = () => a;\n",
  'shared/src/adapters/sqlite/database.ts':
    "import { DatabaseSync } from 'node:sqlite';\nexport const d = DatabaseSync;\n",
  'shared/src/adapters/firestore/client.ts':
    "import { Firestore } from '@google-cloud/firestore';\nexport const f = Firestore;\n",
  'test/src/store-inspection.ts':
    "import { DatabaseSync } from 'node:sqlite';\nexport const d = DatabaseSync;\n",
  'client/src/uses-api.ts':
    "import type { Shape } from '../../api/src/types.ts';\nexport type C = Shape;\n",
  // The generator builds the document with the API itself: allowed.
  'client/scripts/generate.ts':
    "import type { Shape } from '../../api/src/types.ts';\nexport type G = Shape;\n",
  'cli/src/uses-api.ts':
    "import type { Shape } from '../../api/src/types.ts';\nexport type L = Shape;\n",
  'cli/src/uses-client.ts':
    "import type { C } from '../../client/src/uses-api.ts';\nexport type U = C;\n",
  'worker/src/run-loop/reads.test.ts':
    "import { DatabaseSync } from 'node:sqlite';\nexport const d = DatabaseSync;\n",
};

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

it('reports each broken rule, and only those', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'warmgen-architecture-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const cruise = (outputType: string) =>
    spawnSync(
      process.execPath,
      [
        cli,
        '--config',
        config,
        '--output-type',
        outputType,
        'api',
        'shared',
        'worker',
        'test',
        'client',
        'cli',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
  // The form `npm test` runs: it must fail the command. (A cycle is reported once.)
  const check = cruise('err');
  assert.notEqual(check.status, 0, check.stdout);
  assert.match(check.stdout, /error api-not-worker: api\/src\/uses-worker\.ts/);

  const run = cruise('json');
  const { summary } = JSON.parse(run.stdout) as { summary: { violations: Violation[] } };
  const found = summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
  assert.deepEqual(found, [
    'api-not-worker: api/src/uses-worker.ts -> worker/src/thing.ts',
    'cli-through-the-client: cli/src/uses-api.ts -> api/src/types.ts',
    'client-stands-alone: client/src/uses-api.ts -> api/src/types.ts',
    'no-cycles: shared/src/cycle-a.ts -> shared/src/cycle-b.ts',
    'sdk-outside-its-adapter: api/src/engine-here.ts -> onnxruntime-node',
    'sdk-outside-its-adapter: api/src/firestore-here.ts -> @google-cloud/firestore',
    'sdk-outside-its-adapter: worker/src/run-loop/sqlite-here.ts -> node:sqlite',
    'shared-imports-no-process: shared/src/leaks.ts -> api/src/types.ts',
    'worker-not-api: worker/src/uses-api.ts -> api/src/types.ts',
  ]);
});

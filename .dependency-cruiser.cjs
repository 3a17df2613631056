/**
 * The layering warmgen keeps (docs: design.md, style.md), checked on every `npm test`
 * by dependency-cruiser (`npm run check:architecture`). madge was the other candidate;
 * it can find cycles but has no rules on paths, and both TypeScript parsers it can use
 * need the `typescript` package's JavaScript API, which TypeScript 7 no longer ships.
 * dependency-cruiser reads the sources with swc instead (options.parser below).
 *
 * "Test code" is exempt from the SDK rules: tests and benchmarks look behind the ports
 * (a Firestore client reading documents, node:sqlite reading the embedded file).
 */
const testCode = '(^test/|^[a-z]+/bench/|\\.test\\.ts$|/test-support/)';

/** Where each SDK may be imported from outside test code: one folder per backend. */
const sdkHomes = [
  ['@google-cloud/firestore', '^shared/src/adapters/firestore/'],
  ['@google-cloud/pubsub', '^shared/src/adapters/pubsub/'],
  ['@google-cloud/storage', '^shared/src/adapters/gcs/'],
  // The launcher is the API's alone (it starts workers); the worker never scales itself.
  ['@google-cloud/run', '^api/src/launcher/cloud-run/'],
  ['google-auth-library', '^api/src/launcher/cloud-run/'],
  ['^(node:)?sqlite$', '^shared/src/adapters/sqlite/'],
  // The engine runs the model; reference/ is the plain ONNX runner its parity tests use.
  ['^onnxruntime-(node|common|web)', '^worker/src/(engine|reference)/'],
  // The tokenizer is shared: the API counts prompt tokens with the worker's own instance.
  ['^@huggingface/transformers', '^(worker/src/(engine|reference)|shared/src/tokenizer)/'],
];

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle: the modules cannot be read (or loaded) one after the other.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'api-not-worker',
      severity: 'error',
      comment: 'api/ and worker/ are separate processes; what both need lives in shared/.',
      from: { path: '^api/' },
      to: { path: '^worker/' },
    },
    {
      name: 'worker-not-api',
      severity: 'error',
      comment: 'api/ and worker/ are separate processes; what both need lives in shared/.',
      from: { path: '^worker/' },
      to: { path: '^api/' },
    },
    {
      name: 'shared-imports-no-process',
      severity: 'error',
      comment: 'shared/ is imported by the processes, never the other way round.',
      from: { path: '^shared/' },
      to: { path: '^(api|worker|standalone|infra|test)/' },
    },
    {
      name: 'client-stands-alone',
      severity: 'error',
      comment:
        'The typed client talks HTTP only: it runs wherever fetch does, without the service ' +
        '(client/scripts, which generates it from the API, may import the API).',
      from: { path: '^client/src/', pathNot: testCode },
      to: { path: '^(api|worker|shared|standalone|infra|test|tools|cli)/' },
    },
    {
      name: 'cli-through-the-client',
      severity: 'error',
      comment: 'The CLI reaches the service only through the typed client, as any user would.',
      from: { path: '^cli/src/', pathNot: testCode },
      to: { path: '^(api|worker|shared|standalone|infra|test|tools)/' },
    },
    ...sdkHomes.map(([module, home]) => ({
      name: 'sdk-outside-its-adapter',
      severity: 'error',
      comment: `${module} is imported only in ${home} (and by test code).`,
      from: { pathNot: [home, testCode] },
      to: { path: module.startsWith('^') ? module : `^${module}($|/)` },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: {
      // dependency-cruiser 18.7's swc walker stops at a `using` declaration, which only
      // this test file has; it imports nothing the rules are about but a Firestore client.
      path: ['^(\\.cache|\\.tools)/', '^test/src/gcp-adapters\\.test\\.ts$'],
    },
    parser: 'swc',
    // swc's syntax tree keeps `import type`, so type-only imports count as dependencies
    // (a type from worker/ in api/ still couples them). tsPreCompilationDeps would ask for
    // the tsc API that TypeScript 7 lacks, and warn.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.json'],
    },
    // Workspace packages (@warmgen/shared) resolve to their real folders (shared/...).
    preserveSymlinks: false,
  },
};

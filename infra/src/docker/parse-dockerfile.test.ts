import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dockerIgnoreMatcher } from './dockerignore.ts';
import { contextPathOf, finalImage, parseDockerfile } from './parse-dockerfile.ts';

const dockerfile = `# syntax=docker/dockerfile:1
ARG BASE=node:24-slim
FROM \${BASE} AS deps
RUN npm ci \\
  # a comment inside a continuation
  && echo done
FROM \${BASE}
WORKDIR /app
ENV NODE_ENV=production \\
  MODEL_CACHE_DIR=/var/cache/models
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY shared/src shared/src
COPY a.ts b.ts lib/
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "api/src/main.ts"]
`;

describe('parseDockerfile', () => {
  it('reads stages, joined continuations, the final stage copies, env, user and command', () => {
    const stages = parseDockerfile(dockerfile);
    assert.deepEqual(
      stages.map((stage) => [stage.base, stage.name]),
      [
        [`\${BASE}`, 'deps'],
        [`\${BASE}`, undefined],
      ],
    );
    assert.equal(stages[0]?.instructions[0]?.arguments, 'npm ci  && echo done');
    const image = finalImage(stages);
    assert.deepEqual(image.command, ['/usr/bin/tini', '--', 'node', 'api/src/main.ts']);
    assert.equal(image.user, 'node');
    assert.equal(image.workdir, '/app');
    assert.deepEqual(
      [...image.env],
      [
        ['NODE_ENV', 'production'],
        ['MODEL_CACHE_DIR', '/var/cache/models'],
      ],
    );
    assert.deepEqual(image.copies, [
      { sources: ['package.json'], destination: '/app', intoDirectory: true },
      { sources: ['shared/src'], destination: '/app/shared/src', intoDirectory: false },
      { sources: ['a.ts', 'b.ts'], destination: '/app/lib', intoDirectory: true },
    ]);
  });

  it('maps image paths back to the build context as Docker copies folders and files', () => {
    const { copies } = finalImage(parseDockerfile(dockerfile));
    const isDirectory = (path: string) => path === 'shared/src';
    assert.equal(
      contextPathOf('/app/shared/src/config/x.ts', copies, isDirectory),
      'shared/src/config/x.ts',
    );
    assert.equal(contextPathOf('/app/package.json', copies, isDirectory), 'package.json');
    assert.equal(contextPathOf('/app/lib/b.ts', copies, isDirectory), 'b.ts');
    assert.equal(contextPathOf('/app/api/src/main.ts', copies, isDirectory), undefined);
  });

  it('reports a shell-form command or a missing one', () => {
    const shell = finalImage(parseDockerfile('FROM x\nCMD node main.ts\n'));
    assert.equal(shell.command, undefined);
    assert.match(shell.commandProblem ?? '', /CMD on line 2 is in shell form/);
    assert.match(
      finalImage(parseDockerfile('FROM x\n')).commandProblem ?? '',
      /no ENTRYPOINT or CMD/,
    );
  });
});

describe('dockerIgnoreMatcher', () => {
  it('excludes matching paths and everything under matching folders; ! brings paths back', () => {
    const ignored = dockerIgnoreMatcher(
      '# comment\n**/node_modules\n**/*.test.ts\ntest\n!test/keep.ts\n',
    );
    assert.equal(ignored('node_modules/x/index.js'), true);
    assert.equal(ignored('api/node_modules/y.js'), true);
    assert.equal(ignored('api/src/a.test.ts'), true);
    assert.equal(ignored('test/src/e2e.ts'), true);
    assert.equal(ignored('test/keep.ts'), false);
    assert.equal(ignored('api/src/main.ts'), false);
  });
});

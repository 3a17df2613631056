import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '@warmgen/shared/config/load-config.ts';
import { runInfraChecks } from '../run-infra-checks.ts';
import { type Edit, editedInputs } from '../test-support/repo-fixtures.ts';

async function imageProblems(
  changes: { terraform?: Edit[]; repo?: Edit[]; added?: Record<string, string> } = {},
) {
  const inputs = await editedInputs(changes);
  return runInfraChecks(inputs, loadConfig)
    .filter((problem) => problem.check === 'images')
    .map((problem) => `${problem.subject}: ${problem.message}`);
}

const apiDockerfile = 'infra/docker/api.Dockerfile';
const workerDockerfile = 'infra/docker/worker.Dockerfile';

describe('checkImages', () => {
  it('accepts the repository: every deployed image is built, runs an existing entrypoint, and has what it imports', async () => {
    assert.deepEqual(await imageProblems(), []);
  });

  it('reports an entrypoint that does not exist in the repository', async () => {
    const problems = await imageProblems({
      repo: [
        {
          file: apiDockerfile,
          from: 'CMD ["node", "api/src/main.ts"]',
          to: 'CMD ["node", "api/src/server.ts"]',
        },
      ],
    });
    assert.deepEqual(problems, [
      `${apiDockerfile}: the entrypoint api/src/server.ts does not exist in the repository`,
    ]);
  });

  it('reports an entrypoint that is not copied into the image', async () => {
    const problems = await imageProblems({
      repo: [{ file: apiDockerfile, from: 'COPY api/src api/src\n', to: '' }],
    });
    assert.deepEqual(problems, [
      `${apiDockerfile}: the entrypoint api/src/main.ts is not copied into the image`,
    ]);
  });

  it('reports imported project files the image lacks: not copied, or excluded by .dockerignore', async () => {
    const notCopied = await imageProblems({
      repo: [{ file: apiDockerfile, from: 'COPY shared/src shared/src\n', to: '' }],
    });
    assert.ok(notCopied.length > 0);
    for (const problem of notCopied) {
      assert.match(
        problem,
        /^infra\/docker\/api\.Dockerfile: shared\/src\/\S+ is needed at run time but not in the image/,
      );
    }
    const ignored = await imageProblems({
      repo: [{ file: '.dockerignore', from: /$/, to: '\nworker/src/engine\n' }],
    });
    assert.ok(ignored.length > 0);
    for (const problem of ignored) {
      assert.match(
        problem,
        /^infra\/docker\/worker\.Dockerfile: worker\/src\/engine\/\S+ is needed at run time but not in the image/,
      );
    }
  });

  it('reports an import of a package that is not a production dependency of the installed workspaces', async () => {
    const problems = await imageProblems({
      repo: [{ file: 'api/src/main.ts', from: /^import /m, to: "import 'left-pad';\nimport " }],
    });
    assert.deepEqual(problems, [
      `${apiDockerfile}: api/src/main.ts imports left-pad, which is not a production dependency of @warmgen/api, @warmgen/shared`,
    ]);
  });

  it('reports a shell-form command and a root user', async () => {
    const problems = await imageProblems({
      repo: [
        {
          file: workerDockerfile,
          from: 'CMD ["node", "worker/src/main.ts"]',
          to: 'CMD node worker/src/main.ts',
        },
        { file: workerDockerfile, from: 'ENTRYPOINT ["/usr/bin/tini", "--"]\n', to: '' },
        { file: workerDockerfile, from: 'USER node\n', to: '' },
      ],
    });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.equal(
      problems[0],
      `${workerDockerfile}: the final stage runs as root: add USER with an unprivileged user`,
    );
    assert.match(
      problems[1] ?? '',
      /CMD on line \d+ is in shell form: \/bin\/sh would be PID 1 and SIGTERM would not reach Node/,
    );
  });

  it('reports a deployed image no Cloud Build config builds, a built image not pushed, and drifted defaults', async () => {
    const problems = await imageProblems({
      repo: [
        {
          file: 'infra/cloudbuild-gpu.yaml',
          from: /worker-gpu:\$\{_TAG\}/g,
          to: `worker-cuda:\${_TAG}`,
        },
        {
          file: 'infra/cloudbuild.yaml',
          from: /\nimages:\n {2}- .*api:\$\{_TAG\}/,
          to: '\nimages:',
        },
        {
          file: 'infra/cloudbuild.yaml',
          from: '_REGION: us-central1',
          to: '_REGION: europe-west1',
        },
      ],
    });
    assert.deepEqual(problems, [
      `infra/cloudbuild.yaml: step api: \${_REGION}-docker.pkg.dev/$PROJECT_ID/\${_REPOSITORY}/api:\${_TAG} is built but not listed in images:, so it is never pushed`,
      'infra/cloudbuild.yaml: substitution _REGION defaults to europe-west1, but the Terraform uses us-central1',
      // Only the GPU plan deploys worker-gpu.
      'google_cloud_run_v2_worker_pool.worker: runs image "worker-gpu", which no Cloud Build config builds',
      'google_cloud_run_v2_job.worker: runs image "worker-gpu", which no Cloud Build config builds',
    ]);
  });

  it('reports a Dockerfile that does not exist', async () => {
    const problems = await imageProblems({
      repo: [
        {
          file: 'infra/cloudbuild.yaml',
          from: '- infra/docker/api.Dockerfile',
          to: '- infra/docker/Dockerfile.api',
        },
      ],
    });
    assert.deepEqual(problems, [
      'infra/docker/Dockerfile.api: is built by Cloud Build but does not exist',
    ]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Config, loadConfig } from '@warmgen/shared/config/load-config.ts';
import { checkedPlans, serviceEnvRules } from '../run-infra-checks.ts';
import { variableValues } from '../terraform/resolve-expression.ts';
import { type Edit, editedTerraform } from '../test-support/repo-fixtures.ts';
import { checkServiceEnv } from './check-service-env.ts';
import { type EnvValue, readWorkloads, type Workload } from './cloud-run-workloads.ts';
import { requiredVariables } from './config-reads.ts';

async function workloadsOf(edits: Edit[] = [], plan = checkedPlans[0]) {
  const config = await editedTerraform(edits);
  return readWorkloads({ config, variables: variableValues(config, plan) });
}

function check(workloads: Workload[]) {
  return checkServiceEnv(workloads, serviceEnvRules(workloads, loadConfig)).map(
    (problem) => `${problem.subject}: ${problem.message}`,
  );
}

/** The workloads with one container's environment changed. */
function withEnv(
  workloads: Workload[],
  address: string,
  edit: (env: Map<string, EnvValue>) => void,
) {
  return workloads.map((workload) => {
    if (workload.address !== address) {
      return workload;
    }
    const containers = workload.containers.map((container) => {
      const env = new Map(container.env);
      edit(env);
      return { ...container, env };
    });
    return { ...workload, containers };
  });
}

const value = (text: string): EnvValue => ({ kind: 'value', value: text });
const job = 'google_cloud_run_v2_job.worker';
const api = 'google_cloud_run_v2_service.api';

describe('checkServiceEnv', () => {
  it("accepts the repository's environments for the CPU and the GPU plan", async () => {
    for (const plan of checkedPlans) {
      const { workloads, problems } = await workloadsOf([], plan);
      assert.deepEqual(problems, []);
      assert.equal(workloads.length, 3);
      assert.deepEqual(check(workloads), []);
    }
  });

  it('reports a variable loadConfig does not know', async () => {
    const { workloads } = await workloadsOf();
    const broken = withEnv(workloads, api, (env) => env.set('MAX_BATCH_SIZE', value('8')));
    assert.deepEqual(check(broken), [`${api}: MAX_BATCH_SIZE is not a variable loadConfig knows`]);
  });

  it('reports every variable loadConfig requires, removed one at a time', async () => {
    const { workloads } = await workloadsOf();
    const [worker] = workloads.filter((workload) => workload.address === job);
    const sample = Object.fromEntries(
      [...(worker?.containers[0]?.env ?? [])].map(([name, v]) => [
        name,
        v.kind === 'value' ? v.value : serviceEnvRules(workloads, loadConfig).secretSamples[0],
      ]),
    );
    // Derived from loadConfig, not listed here: GOOGLE_CLOUD_PROJECT at least, on gcp.
    const required = requiredVariables(loadConfig, sample);
    assert.ok(required.includes('GOOGLE_CLOUD_PROJECT'), `required: ${required.join(', ')}`);
    for (const name of required) {
      const problems = check(withEnv(workloads, job, (env) => env.delete(name)));
      // Removing AUTH_MODE=open, say, makes API_KEYS the missing one: the report names
      // whichever variable loadConfig stops at.
      assert.ok(
        problems.some((problem) => / is required by loadConfig but not set: /.test(problem)),
        `${name} removed: ${problems.join('; ')}`,
      );
      assert.ok(
        problems.every((problem) => problem.startsWith(`${job}: `)),
        problems.join('; '),
      );
    }
  });

  it('reports a required variable missing from the Terraform text itself', async () => {
    const { workloads } = await workloadsOf([
      { file: 'locals.tf', from: /\n\s*GOOGLE_CLOUD_PROJECT\s*=\s*var\.project_id/, to: '' },
    ]);
    const problems = check(workloads);
    assert.equal(problems.length, 3, problems.join('\n'));
    for (const problem of problems) {
      assert.match(problem, /: GOOGLE_CLOUD_PROJECT is required by loadConfig but not set/);
    }
  });

  it('reports a value loadConfig rejects', async () => {
    const { workloads } = await workloadsOf();
    const problems = check(withEnv(workloads, job, (env) => env.set('LEASE_SECONDS', value('5'))));
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(
      problems[0] ?? '',
      /^google_cloud_run_v2_job\.worker: loadConfig rejects LEASE_SECONDS: /,
    );
  });

  it('reports variables loadConfig ignores with this backend, and names Cloud Run reserves', async () => {
    const { workloads } = await workloadsOf();
    const broken = withEnv(workloads, job, (env) => {
      env.set('BACKEND', value('embedded'));
      env.set('PORT', value('9000'));
    });
    const problems = check(broken);
    for (const expected of [
      `${job}: PORT is reserved by Cloud Run and must not be set`,
      // The Google Cloud section is read only on BACKEND=gcp.
      `${job}: loadConfig ignores GOOGLE_CLOUD_PROJECT with this environment`,
      `${job}: loadConfig ignores PUBSUB_SUBSCRIPTION with this environment`,
      `${job}: BACKEND is embedded, not gcp`,
    ]) {
      assert.ok(problems.includes(expected), `${expected}\nin:\n${problems.join('\n')}`);
    }
  });

  it('reports a process that would not run as the image needs (BACKEND, PRODUCTION, MODEL_URI, DEVICE)', async () => {
    const { workloads } = await workloadsOf([
      {
        file: 'locals.tf',
        from: 'DEVICE    = var.worker_gpu ? "cuda" : "cpu"',
        to: 'DEVICE    = "cuda"',
      },
    ]);
    const broken = withEnv(workloads, api, (env) => env.set('BACKEND', value('embedded')));
    const problems = check(broken);
    assert.ok(problems.includes(`${api}: BACKEND is embedded, not gcp`), problems.join('\n'));
    assert.ok(problems.includes(`${job}: DEVICE is cuda in the CPU image`), problems.join('\n'));
    const noModel = withEnv(workloads, job, (env) => env.delete('MODEL_URI'));
    assert.ok(check(noModel).includes(`${job}: MODEL_URI is a builtin model, not gs://`));
    // A deployment that says it is none would run without its keys being required.
    const notProduction = withEnv(workloads, api, (env) => env.set('PRODUCTION', value('false')));
    assert.ok(check(notProduction).includes(`${api}: PRODUCTION is not true`));
  });

  it('reports an image no expectation covers and an env block it cannot read', async () => {
    const { workloads, problems } = await workloadsOf([
      { file: 'api-service.tf', from: 'for_each = local.api_env', to: 'for_each = var.extra_env' },
      {
        file: 'locals.tf',
        from: `/api:\${var.image_tag}`,
        to: `/frontend:\${var.image_tag}`,
      },
    ]);
    assert.deepEqual(
      problems.map((problem) => problem.message),
      ['cannot read a dynamic env block: its for_each (var.extra_env) is not known before apply'],
    );
    assert.ok(
      check(workloads).includes(
        `${api}: image "frontend" is not one the checks know (api, worker, worker-gpu)`,
      ),
    );
  });

  it('uses a secret stand-in of the shape loadConfig accepts', () => {
    const load = (env: Record<string, string | undefined>): Config => {
      if (!env.SECRET?.startsWith('b')) {
        throw Object.assign(new Error('SECRET must start with b'), { variable: 'SECRET' });
      }
      return loadConfig({});
    };
    const workload: Workload = {
      address: 'x.y',
      template: {},
      containers: [
        {
          image: 'api',
          imageName: 'api',
          env: new Map([['SECRET', { kind: 'secret', secret: 's' }]]),
        },
      ],
    };
    const rules = {
      load,
      known: new Set(['SECRET']),
      expectations: { api: () => [] },
      secretSamples: ['a1', 'b2'],
    };
    // A plain Error (not ConfigError) ends the search: the stand-ins are only for ConfigErrors.
    assert.match(checkServiceEnv([workload], rules)[0]?.message ?? '', /SECRET must start with b/);
  });
});

import type { Config } from '@warmgen/shared/config/load-config.ts';
import { checkFirestoreIndexes } from './checks/check-firestore-indexes.ts';
import { checkFirestoreQueries } from './checks/check-firestore-queries.ts';
import { checkIamRoles } from './checks/check-iam-roles.ts';
import { checkImages } from './checks/check-images.ts';
import { checkLauncherPermissions } from './checks/check-launcher-permissions.ts';
import { checkServiceEnv } from './checks/check-service-env.ts';
import { checkSubscriptions } from './checks/check-subscriptions.ts';
import { checkVariables } from './checks/check-variables.ts';
import { readWorkloads, type Workload } from './checks/cloud-run-workloads.ts';
import { knownVariables, type LoadConfig } from './checks/config-reads.ts';
import { firestoreQueries } from './checks/firestore-queries.ts';
import { iamAllowlist } from './checks/iam-allowlist.ts';
import { adminApiCalls, launcherRoles } from './checks/launcher-permissions.ts';
import type { Problem } from './checks/problem.ts';
import { readCloudBuild } from './docker/cloudbuild-images.ts';
import { dockerIgnoreMatcher } from './docker/dockerignore.ts';
import { infraPaths, type RepoInputs } from './repo-inputs.ts';
import { renderString, variableValues } from './terraform/resolve-expression.ts';

/** Stands in for project_id (no default) and for a project id wherever one is required. */
const exampleProject = 'example-project';

/**
 * The plans the checks look at: the defaults (CPU workers) and the GPU option. project_id
 * has no default; any valid id stands in for it.
 */
export const checkedPlans: readonly Readonly<Record<string, unknown>>[] = [
  { project_id: exampleProject },
  { project_id: exampleProject, worker_gpu: true },
];

/** Terraform variables without a default: what terraform.tfvars must give. */
export const requiredTerraformVariables = ['project_id'];

const backendIsGcp = (config: Config) => [
  ...(config.backend === 'gcp' ? [] : [`BACKEND is ${config.backend}, not gcp`]),
  // Keys and webhook secrets required: what BACKEND=gcp implied before PRODUCTION existed.
  ...(config.production ? [] : ['PRODUCTION is not true']),
];

/** What each image's process needs from its configuration on Cloud Run. */
export const imageExpectations: Readonly<Record<string, (config: Config) => string[]>> = {
  api: backendIsGcp,
  worker: (config) => [
    ...backendIsGcp(config),
    ...(config.model.kind === 'gcs'
      ? []
      : [`MODEL_URI is a ${config.model.kind} model, not gs://`]),
    ...(config.device === 'cpu' ? [] : [`DEVICE is ${config.device} in the CPU image`]),
  ],
  'worker-gpu': (config) => [
    ...backendIsGcp(config),
    ...(config.model.kind === 'gcs'
      ? []
      : [`MODEL_URI is a ${config.model.kind} model, not gs://`]),
    ...(config.device === 'cuda' ? [] : [`DEVICE is ${config.device} in the GPU image`]),
  ],
};

/**
 * Stand-ins for secret values, in the shapes loadConfig accepts: a Standard Webhooks secret
 * (whsec_ + base64 of 32 bytes) and a 64-character hex string (an API key or its SHA-256).
 */
export const secretSamples = [
  `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
  '0123456789abcdef'.repeat(4),
];

/** The service environment rules: names loadConfig knows, per-image expectations, samples. */
export function serviceEnvRules(workloads: readonly Workload[], load: LoadConfig<Config>) {
  return {
    load,
    known: knownVariables(
      load,
      [{}, { BACKEND: 'gcp' }, ...environments(workloads)],
      [exampleProject, ...secretSamples, 'true'],
    ),
    expectations: imageExpectations,
    secretSamples,
  };
}

/** Runs every offline check over the repository's infrastructure files. */
export function runInfraChecks(inputs: RepoInputs, load: LoadConfig<Config>): Problem[] {
  const problems: Problem[] = [];
  const cloudBuilds = inputs.cloudBuilds.map(({ file, text }) => {
    const { config, problems: found } = readCloudBuild(file, text);
    problems.push(...found);
    return config;
  });

  const seen = new Set<string>();
  const addOnce = (found: Problem[]) => {
    for (const problem of found) {
      const key = JSON.stringify(problem);
      if (!seen.has(key)) {
        seen.add(key);
        problems.push(problem);
      }
    }
  };

  for (const overrides of checkedPlans) {
    const context = {
      config: inputs.terraform,
      variables: variableValues(inputs.terraform, overrides),
    };
    const { workloads, problems: found } = readWorkloads(context);
    addOnce(found);
    addOnce(checkServiceEnv(workloads, serviceEnvRules(workloads, load)));
    addOnce(checkIamRoles(inputs.terraform, workloads, iamAllowlist));
    const variable = (name: string) => renderString(context.variables[name]);
    addOnce(
      checkImages({
        repo: inputs.repo,
        cloudBuilds,
        workloads,
        workspaces: inputs.workspaces,
        dockerIgnored: dockerIgnoreMatcher(inputs.dockerignore),
        substitutionsFromTerraform: {
          _REGION: variable('region'),
          _REPOSITORY: variable('artifact_repository_id'),
          _TAG: variable('image_tag'),
        },
      }),
    );
  }
  addOnce(checkVariables(inputs.terraform, requiredTerraformVariables));
  addOnce(checkSubscriptions(inputs.terraform));
  const defaults = {
    config: inputs.terraform,
    variables: variableValues(inputs.terraform, checkedPlans[0]),
  };
  addOnce(checkFirestoreIndexes(defaults, inputs.firestoreIndexes, infraPaths.firestoreIndexes));
  addOnce(
    checkFirestoreQueries({
      queries: firestoreQueries,
      sources: inputs.firestoreQuerySources,
      indexFile: inputs.firestoreIndexes,
      indexFileName: infraPaths.firestoreIndexes,
    }),
  );
  addOnce(
    checkLauncherPermissions({
      calls: adminApiCalls,
      sources: inputs.launcherSources,
      terraform: inputs.terraform,
      roles: launcherRoles,
    }),
  );
  return problems;
}

/** Each container's environment with secret values left out (names are what matter here). */
function environments(workloads: readonly Workload[]): Record<string, string>[] {
  return workloads.flatMap((workload) =>
    workload.containers.map((container) =>
      Object.fromEntries(
        [...container.env].map(([name, value]) => [
          name,
          value.kind === 'value' ? value.value : '',
        ]),
      ),
    ),
  );
}

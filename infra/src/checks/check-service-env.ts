import { ConfigError } from '@warmgen/shared/config/config-error.ts';
import type { Workload } from './cloud-run-workloads.ts';
import { type LoadConfig, recordConfigReads } from './config-reads.ts';
import type { Problem } from './problem.ts';

/**
 * Names Cloud Run sets itself and rejects (or overrides) in a container's env: PORT and the
 * K_* names on services, CLOUD_RUN_* on jobs and worker pools, X_GOOGLE_* everywhere.
 */
const reservedByCloudRun =
  /^(PORT|K_SERVICE|K_REVISION|K_CONFIGURATION|CLOUD_RUN_\w+|X_GOOGLE_\w+)$/;

export interface ServiceEnvRules<C> {
  readonly load: LoadConfig<C>;
  /** Every name loadConfig reads with some environment (knownVariables). */
  readonly known: ReadonlySet<string>;
  /**
   * What the process in each image needs of its parsed configuration beyond loadConfig
   * accepting it (say, BACKEND=gcp), as problem texts. Keyed by image name; a workload
   * whose image has no entry is a problem in itself.
   */
  readonly expectations: Readonly<Record<string, (config: C) => string[]>>;
  /**
   * Stand-ins for values that come from Secret Manager (not in the Terraform): for each
   * secret-sourced variable the first one loadConfig accepts is used.
   */
  readonly secretSamples: readonly string[];
}

/**
 * Each Cloud Run workload's environment against the configuration schema: loadConfig must
 * accept it as the plan sets it (so every variable it requires is there with a valid value),
 * every name must be one loadConfig reads (none it does not know, none it ignores with this
 * backend), and none may be one Cloud Run reserves.
 */
export function checkServiceEnv<C>(
  workloads: readonly Workload[],
  rules: ServiceEnvRules<C>,
): Problem[] {
  const problems: Problem[] = [];
  for (const workload of workloads) {
    const report = (message: string) =>
      problems.push({ check: 'service-env', subject: workload.address, message });
    for (const container of workload.containers) {
      const expect = rules.expectations[container.imageName];
      if (expect === undefined) {
        report(
          `image "${container.imageName}" is not one the checks know (api, worker, worker-gpu)`,
        );
      }
      const env: Record<string, string> = {};
      const sampleIndex = new Map<string, number>();
      for (const [name, value] of container.env) {
        if (reservedByCloudRun.test(name)) {
          report(`${name} is reserved by Cloud Run and must not be set`);
        }
        if (value.kind === 'secret') {
          sampleIndex.set(name, 0);
        }
        env[name] = value.kind === 'value' ? value.value : (rules.secretSamples[0] ?? '');
      }

      let { read, outcome } = recordConfigReads(rules.load, env);
      // A secret's stand-in that loadConfig rejects (wrong shape): try the next one.
      for (
        let error = outcome.ok ? undefined : outcome.error;
        error instanceof ConfigError &&
        (sampleIndex.get(error.variable) ?? Infinity) + 1 < rules.secretSamples.length;
        error = outcome.ok ? undefined : outcome.error
      ) {
        const next = (sampleIndex.get(error.variable) ?? 0) + 1;
        sampleIndex.set(error.variable, next);
        env[error.variable] = rules.secretSamples[next] ?? '';
        ({ read, outcome } = recordConfigReads(rules.load, env));
      }
      for (const name of Object.keys(env).sort()) {
        if (!rules.known.has(name)) {
          report(`${name} is not a variable loadConfig knows`);
        } else if (outcome.ok && !read.has(name)) {
          // Only a completed run proves a name is ignored: a throw stops the reading early.
          report(`loadConfig ignores ${name} with this environment`);
        }
      }
      if (!outcome.ok) {
        report(describeRejection(outcome.error, env));
      } else if (expect !== undefined) {
        for (const message of expect(outcome.config)) {
          report(message);
        }
      }
    }
  }
  return problems;
}

function describeRejection(error: unknown, env: Record<string, string>): string {
  if (error instanceof ConfigError) {
    return error.variable in env
      ? `loadConfig rejects ${error.variable}: ${error.message}`
      : `${error.variable} is required by loadConfig but not set: ${error.message}`;
  }
  return `loadConfig fails on this environment: ${(error as Error).message}`;
}

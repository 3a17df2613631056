import {
  type ResolveContext,
  renderString,
  resolveValue,
  Unknown,
} from '../terraform/resolve-expression.ts';
import {
  blocks,
  type HclBody,
  isBody,
  type Resource,
  resourcesOfType,
  type TerraformConfig,
} from '../terraform/terraform-config.ts';
import type { Problem } from './problem.ts';

/**
 * The Cloud Run resources that run warmgen's containers, and where each keeps its
 * revision/task template: a service and a worker pool at `template`, a job one level
 * deeper (`template.template`: execution -> task).
 */
const workloadTemplatePaths: Record<string, readonly string[]> = {
  google_cloud_run_v2_service: ['template'],
  google_cloud_run_v2_worker_pool: ['template'],
  google_cloud_run_v2_job: ['template', 'template'],
};

export type EnvValue =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'secret'; readonly secret: string };

export interface Workload {
  /** Terraform address, e.g. google_cloud_run_v2_job.worker. */
  readonly address: string;
  /** The template body (service_account, node_selector, containers...). */
  readonly template: HclBody;
  readonly containers: readonly WorkloadContainer[];
}

export interface WorkloadContainer {
  /** Resolved image reference, e.g. us-central1-docker.pkg.dev/p/warmgen/worker:latest. */
  readonly image: string;
  /** The image's name without registry path and tag: api, worker, worker-gpu. */
  readonly imageName: string;
  readonly env: ReadonlyMap<string, EnvValue>;
}

export function workloadResources(config: TerraformConfig): Resource[] {
  return Object.keys(workloadTemplatePaths).flatMap((type) => resourcesOfType(config, type));
}

/**
 * Every Cloud Run workload with its containers' images and environments, as a plan with the
 * context's variables would set them. Problems: an env name set twice, a dynamic env block
 * this reader cannot expand.
 */
export function readWorkloads(context: ResolveContext): {
  workloads: Workload[];
  problems: Problem[];
} {
  const problems: Problem[] = [];
  const workloads = workloadResources(context.config).map((resource) => {
    let template: HclBody = resource.body;
    for (const step of workloadTemplatePaths[resource.type] ?? []) {
      template = blocks(template, step)[0] ?? {};
    }
    const containers = blocks(template, 'containers').map((container) => {
      const image = renderString(resolveValue(container.image, context));
      const env = readEnv(container, context, (message) =>
        problems.push({ check: 'service-env', subject: resource.address, message }),
      );
      return { image, imageName: imageName(image), env };
    });
    return { address: resource.address, template, containers };
  });
  return { workloads, problems };
}

/** `region-docker.pkg.dev/project/repo/worker-gpu:tag` -> `worker-gpu`. */
export function imageName(image: string): string {
  const last = image.split('/').at(-1) ?? image;
  return last.split(/[:@]/)[0] ?? last;
}

function readEnv(
  container: HclBody,
  context: ResolveContext,
  report: (message: string) => void,
): Map<string, EnvValue> {
  const env = new Map<string, EnvValue>();
  const add = (name: string, value: EnvValue) => {
    if (env.has(name)) {
      report(`environment variable ${name} is set twice`);
    }
    env.set(name, value);
  };

  for (const entry of blocks(container, 'env')) {
    const name = renderString(resolveValue(entry.name, context));
    const secretRef = blocks(entry, 'value_source').flatMap((source) =>
      blocks(source, 'secret_key_ref'),
    )[0];
    if (secretRef !== undefined) {
      add(name, { kind: 'secret', secret: renderString(resolveValue(secretRef.secret, context)) });
    } else {
      add(name, { kind: 'value', value: renderString(resolveValue(entry.value, context)) });
    }
  }

  // dynamic "env" { for_each = local.some_map  content { name = env.key  value = env.value } }
  // hcl2json gives `dynamic` as one object keyed by block name (not a list of blocks).
  const dynamic = isBody(container.dynamic) ? container.dynamic : {};
  for (const entry of blocks(dynamic, 'env')) {
    const content = blocks(entry, 'content')[0] ?? {};
    const items = resolveValue(entry.for_each, context);
    if (content.name !== `\${env.key}` || content.value !== `\${env.value}` || !isBody(items)) {
      const reason =
        items instanceof Unknown
          ? `its for_each (${items.expression}) is not known before apply`
          : 'it is not of the form name = env.key, value = env.value over a map';
      report(`cannot read a dynamic env block: ${reason}`);
      continue;
    }
    for (const [name, value] of Object.entries(items)) {
      add(name, { kind: 'value', value: renderString(value) });
    }
  }
  return env;
}

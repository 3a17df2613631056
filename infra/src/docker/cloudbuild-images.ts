import { parse } from 'yaml';
import { imageName } from '../checks/cloud-run-workloads.ts';
import type { Problem } from '../checks/problem.ts';

/** One image a Cloud Build config builds with `docker build`. */
export interface BuiltImage {
  /** Name without registry path and tag, as Cloud Run workloads refer to it: api, worker. */
  readonly name: string;
  /** The full tag template, e.g. ${_REGION}-docker.pkg.dev/$PROJECT_ID/${_REPOSITORY}/api:${_TAG}. */
  readonly tag: string;
  /** Dockerfile path relative to the repository root (the build context). */
  readonly dockerfile: string;
  readonly buildArgs: ReadonlyMap<string, string>;
  /** The Cloud Build config file that builds it. */
  readonly config: string;
}

export interface CloudBuildConfig {
  readonly file: string;
  readonly substitutions: Readonly<Record<string, string>>;
  readonly images: readonly BuiltImage[];
}

/**
 * The images a cloudbuild.yaml builds. Problems: a docker build step without -f or -t, a
 * build context other than the repository root, a tag that is built but not in `images:`
 * (Cloud Build would not push it and Cloud Run could not pull it).
 */
export function readCloudBuild(
  file: string,
  text: string,
): { config: CloudBuildConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const report = (message: string) => problems.push({ check: 'images', subject: file, message });
  const document = (parse(text) ?? {}) as {
    steps?: { id?: string; name?: string; args?: unknown[] }[];
    images?: unknown[];
    substitutions?: Record<string, unknown>;
  };
  const pushed = new Set((document.images ?? []).map(String));
  const images: BuiltImage[] = [];
  for (const [index, step] of (document.steps ?? []).entries()) {
    const args = (step.args ?? []).map(String);
    if (!String(step.name ?? '').includes('docker') || args[0] !== 'build') {
      continue;
    }
    const label = `step ${step.id ?? index + 1}`;
    const dockerfile = optionValues(args, ['-f', '--file'])[0];
    const tags = optionValues(args, ['-t', '--tag']);
    const context = args.at(-1);
    if (dockerfile === undefined || tags.length === 0) {
      report(`${label}: docker build needs -f <Dockerfile> and -t <image>`);
      continue;
    }
    if (context !== '.') {
      report(`${label}: the build context must be the repository root ("."), got ${context}`);
    }
    const buildArgs = new Map(
      optionValues(args, ['--build-arg']).map((pair) => {
        const equals = pair.indexOf('=');
        return [pair.slice(0, equals), pair.slice(equals + 1)] as [string, string];
      }),
    );
    for (const tag of tags) {
      if (!pushed.has(tag)) {
        report(`${label}: ${tag} is built but not listed in images:, so it is never pushed`);
      }
      images.push({ name: imageName(tag), tag, dockerfile, buildArgs, config: file });
    }
  }
  const substitutions = Object.fromEntries(
    Object.entries(document.substitutions ?? {}).map(([key, value]) => [key, String(value)]),
  );
  return { config: { file, substitutions, images }, problems };
}

function optionValues(args: readonly string[], names: readonly string[]): string[] {
  const values: string[] = [];
  for (const [index, arg] of args.entries()) {
    const name = names.find((option) => arg === option || arg.startsWith(`${option}=`));
    if (name === undefined) {
      continue;
    }
    const value = arg === name ? args[index + 1] : arg.slice(name.length + 1);
    if (value !== undefined) {
      values.push(value);
    }
  }
  return values;
}

import { posix } from 'node:path';
import type { CloudBuildConfig } from '../docker/cloudbuild-images.ts';
import {
  contextPathOf,
  type DockerStage,
  type FinalImage,
  finalImage,
  parseDockerfile,
} from '../docker/parse-dockerfile.ts';
import {
  resolveImport,
  runtimeImports,
  type Workspace,
  workspaceOf,
} from '../docker/source-imports.ts';
import type { Workload } from './cloud-run-workloads.ts';
import type { Problem } from './problem.ts';

/** Read access to the repository (the build context), by repository-relative path. */
export interface RepoFiles {
  exists(path: string): boolean;
  isDirectory(path: string): boolean;
  read(path: string): string;
  /** The files under a folder, recursively, as repository-relative paths (none if absent). */
  list(folder: string): string[];
}

export interface ImageCheckInputs {
  readonly repo: RepoFiles;
  readonly cloudBuilds: readonly CloudBuildConfig[];
  readonly workloads: readonly Workload[];
  readonly workspaces: readonly Workspace[];
  /** The .dockerignore as a predicate over repository paths. */
  readonly dockerIgnored: (path: string) => boolean;
  /** Cloud Build substitution -> the Terraform value it must equal (e.g. _REGION -> us-central1). */
  readonly substitutionsFromTerraform: Readonly<Record<string, string>>;
}

/**
 * From each Cloud Run workload to the file its container runs: the image must be built by a
 * Cloud Build config (with the same registry, repository and tag defaults as the
 * Terraform); its Dockerfile must exist and end in a non-root, NODE_ENV=production stage
 * whose exec-form command runs `node <entrypoint>`; the entrypoint must exist in the
 * repository, be copied into the image and not be excluded by .dockerignore; and so must
 * every project file it imports, transitively, while every package it imports must be a
 * production dependency of a workspace the image installs.
 */
export function checkImages(inputs: ImageCheckInputs): Problem[] {
  const problems: Problem[] = [];
  const report = (subject: string, message: string) =>
    problems.push({ check: 'images', subject, message });

  const built = inputs.cloudBuilds.flatMap((config) => config.images);
  for (const workload of inputs.workloads) {
    for (const container of workload.containers) {
      if (!built.some((image) => image.name === container.imageName)) {
        report(
          workload.address,
          `runs image "${container.imageName}", which no Cloud Build config builds`,
        );
      }
    }
  }
  for (const config of inputs.cloudBuilds) {
    for (const [name, expected] of Object.entries(inputs.substitutionsFromTerraform)) {
      const actual = config.substitutions[name];
      if (actual !== expected) {
        report(
          config.file,
          `substitution ${name} defaults to ${actual}, but the Terraform uses ${expected}`,
        );
      }
    }
  }

  const dockerfiles = new Set(built.map((image) => image.dockerfile));
  for (const dockerfile of dockerfiles) {
    if (!inputs.repo.exists(dockerfile)) {
      report(dockerfile, 'is built by Cloud Build but does not exist');
      continue;
    }
    const stages = parseDockerfile(inputs.repo.read(dockerfile));
    for (const message of checkDockerfile(stages, inputs)) {
      report(dockerfile, message);
    }
  }
  return problems;
}

function checkDockerfile(stages: readonly DockerStage[], inputs: ImageCheckInputs): string[] {
  const messages: string[] = [];
  const image = finalImage(stages);
  if (image.user === undefined || image.user === 'root' || image.user.startsWith('0')) {
    messages.push('the final stage runs as root: add USER with an unprivileged user');
  }
  if (image.env.get('NODE_ENV') !== 'production') {
    messages.push('the final stage does not set NODE_ENV=production');
  }
  if (image.command === undefined) {
    messages.push(image.commandProblem ?? 'no command');
    return messages;
  }
  const nodeAt = image.command.findIndex((word) => word === 'node' || word.endsWith('/node'));
  const script = image.command.slice(nodeAt + 1).find((word) => !word.startsWith('-'));
  if (nodeAt === -1 || script === undefined) {
    messages.push(`the command ${JSON.stringify(image.command)} does not run node <file>`);
    return messages;
  }
  const entry = contextPathOf(
    posix.resolve(image.workdir, script),
    image.copies,
    inputs.repo.isDirectory,
  );
  if (entry === undefined) {
    messages.push(`the entrypoint ${script} is not copied into the image`);
    return messages;
  }
  if (!inputs.repo.exists(entry)) {
    messages.push(`the entrypoint ${entry} does not exist in the repository`);
    return messages;
  }
  messages.push(
    ...checkImportClosure(entry, image, installedWorkspaces(stages, inputs.workspaces), inputs),
  );
  return messages;
}

/** Every project file reachable from the entrypoint is in the image; every package installed. */
function checkImportClosure(
  entry: string,
  image: FinalImage,
  installed: readonly Workspace[],
  inputs: ImageCheckInputs,
): string[] {
  const messages: string[] = [];
  const packages = new Set(installed.flatMap((workspace) => [...workspace.dependencies]));
  const inImage = (path: string) =>
    !inputs.dockerIgnored(path) &&
    image.copies.some((copy) =>
      copy.sources.some((source) => path === source || path.startsWith(`${source}/`)),
    );
  const seen = new Set<string>([entry]);
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (!inImage(file)) {
      messages.push(
        `${file} is needed at run time but not in the image (not copied, or .dockerignore)`,
      );
    }
    for (const specifier of runtimeImports(inputs.repo.read(file))) {
      const target = resolveImport(file, specifier, inputs.workspaces);
      if (target.kind === 'unresolved') {
        messages.push(`${file} imports ${specifier}: ${target.reason}`);
      } else if (target.kind === 'package' && !packages.has(target.name)) {
        const names = installed.map((workspace) => workspace.name).join(', ');
        messages.push(
          `${file} imports ${target.name}, which is not a production dependency of ${names}`,
        );
      } else if (target.kind === 'file' && !seen.has(target.path)) {
        seen.add(target.path);
        if (!inputs.repo.exists(target.path)) {
          messages.push(`${file} imports ${specifier}, which does not exist`);
        } else {
          queue.push(target.path);
        }
      }
    }
  }
  const outside = [...seen].filter((path) => workspaceOf(path, installed) === undefined);
  for (const path of outside) {
    messages.push(
      `${path} is loaded at run time, but its workspace is not installed by npm ci --workspace`,
    );
  }
  return messages;
}

/** Workspaces an `npm ci --workspace X` in the Dockerfile installs: X and its workspace deps. */
function installedWorkspaces(
  stages: readonly DockerStage[],
  workspaces: readonly Workspace[],
): Workspace[] {
  const names = stages
    .flatMap((stage) => stage.instructions)
    .filter((instruction) => instruction.keyword === 'RUN')
    .flatMap((instruction) => [...instruction.arguments.matchAll(/(?:--workspace|-w)[= ](\S+)/g)])
    .map((match) => match[1] ?? '');
  const installed = new Map<string, Workspace>();
  const add = (name: string) => {
    const workspace = workspaces.find(
      (candidate) => candidate.name === name || candidate.folder === name,
    );
    if (workspace !== undefined && !installed.has(workspace.name)) {
      installed.set(workspace.name, workspace);
      for (const dependency of workspace.dependencies) {
        add(dependency);
      }
    }
  };
  // A plain `npm ci` installs every workspace.
  for (const name of names.length > 0 ? names : workspaces.map((workspace) => workspace.name)) {
    add(name);
  }
  return [...installed.values()];
}

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { SourceFile } from './checks/check-firestore-queries.ts';
import type { RepoFiles } from './checks/check-images.ts';
import { queryFolders } from './checks/firestore-queries.ts';
import { launcherSourceFolder } from './checks/launcher-permissions.ts';
import type { Workspace } from './docker/source-imports.ts';
import { loadTerraformFolder } from './terraform/parse-terraform.ts';
import type { TerraformConfig } from './terraform/terraform-config.ts';

/** Where the deployment's files live, relative to the repository root. */
export const infraPaths = {
  terraform: 'infra/terraform',
  cloudBuilds: ['infra/cloudbuild.yaml', 'infra/cloudbuild-gpu.yaml'],
  dockerignore: '.dockerignore',
  /** The Firestore store adapter's list of composite indexes and TTL fields. */
  firestoreIndexes: 'infra/firestore-indexes.json',
} as const;

export interface RepoInputs {
  readonly terraform: TerraformConfig;
  readonly cloudBuilds: readonly { file: string; text: string }[];
  readonly dockerignore: string;
  readonly workspaces: readonly Workspace[];
  readonly repo: RepoFiles;
  /** The parsed index file, or undefined when it does not exist. */
  readonly firestoreIndexes: unknown;
  /** The source files whose Firestore queries the index check reads (tests excluded). */
  readonly firestoreQuerySources: readonly SourceFile[];
  /** The launcher's Cloud Run adapters, whose Admin API calls the IAM check reads. */
  readonly launcherSources: readonly SourceFile[];
}

/** Reads everything the offline checks look at from a checkout. */
export async function loadRepoInputs(root: string): Promise<RepoInputs> {
  return readRepoInputs(
    repoFiles(root),
    await loadTerraformFolder(join(root, infraPaths.terraform)),
  );
}

/** The checks' inputs from repository files and the parsed Terraform. */
export function readRepoInputs(repo: RepoFiles, terraform: TerraformConfig): RepoInputs {
  const rootPackage = JSON.parse(repo.read('package.json')) as { workspaces?: string[] };
  const workspaces = (rootPackage.workspaces ?? []).map((folder) => {
    const manifest = JSON.parse(repo.read(`${folder}/package.json`)) as {
      name: string;
      exports?: Record<string, string>;
      dependencies?: Record<string, string>;
    };
    return {
      name: manifest.name,
      folder,
      exportsPattern: manifest.exports?.['./*'],
      dependencies: new Set(Object.keys(manifest.dependencies ?? {})),
    };
  });
  return {
    terraform,
    cloudBuilds: infraPaths.cloudBuilds.map((file) => ({ file, text: repo.read(file) })),
    dockerignore: repo.exists(infraPaths.dockerignore) ? repo.read(infraPaths.dockerignore) : '',
    workspaces,
    repo,
    firestoreIndexes: repo.exists(infraPaths.firestoreIndexes)
      ? JSON.parse(repo.read(infraPaths.firestoreIndexes))
      : undefined,
    firestoreQuerySources: sourcesIn(repo, queryFolders),
    launcherSources: sourcesIn(repo, [launcherSourceFolder]),
  };
}

/** The TypeScript sources of the folders (tests excluded), sorted. */
function sourcesIn(repo: RepoFiles, folders: readonly string[]): SourceFile[] {
  return folders
    .flatMap((folder) => repo.list(folder))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .sort()
    .map((file) => ({ file, text: repo.read(file) }));
}

export function repoFiles(root: string): RepoFiles {
  return {
    exists: (path) => existsSync(join(root, path)),
    isDirectory: (path) => existsSync(join(root, path)) && statSync(join(root, path)).isDirectory(),
    read: (path) => readFileSync(join(root, path), 'utf8'),
    list: (folder) =>
      existsSync(join(root, folder))
        ? readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
            .filter((name) => statSync(join(root, folder, name)).isFile())
            .map((name) => posix.join(folder, name))
        : [],
  };
}

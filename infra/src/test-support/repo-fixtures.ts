import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RepoFiles } from '../checks/check-images.ts';
import { type RepoInputs, readRepoInputs, repoFiles } from '../repo-inputs.ts';
import { parseTerraform } from '../terraform/parse-terraform.ts';
import type { TerraformConfig } from '../terraform/terraform-config.ts';

/** The repository root of this checkout. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const terraformFolder = join(repoRoot, 'infra/terraform');

/** A text edit for a deliberately broken variant: `from` must occur in the file. */
export interface Edit {
  readonly file: string;
  readonly from: string | RegExp;
  readonly to: string;
}

/** Applies edits, failing loudly when one does not match (so a test cannot pass vacuously). */
export function applyEdits(file: string, text: string, edits: readonly Edit[]): string {
  let result = text;
  for (const edit of edits.filter((candidate) => candidate.file === file)) {
    const matches =
      typeof edit.from === 'string' ? result.includes(edit.from) : edit.from.test(result);
    if (!matches) {
      throw new Error(`edit does not apply to ${file}: ${String(edit.from)}`);
    }
    result = result.replace(edit.from, edit.to);
  }
  return result;
}

/** The repository's Terraform with edits applied (file names relative to infra/terraform). */
export async function editedTerraform(edits: readonly Edit[] = []): Promise<TerraformConfig> {
  const names = (await readdir(terraformFolder)).filter((name) => name.endsWith('.tf')).sort();
  for (const edit of edits) {
    if (!names.includes(edit.file)) {
      throw new Error(`no Terraform file ${edit.file}`);
    }
  }
  const files = await Promise.all(
    names.map(async (name) => ({
      name,
      text: applyEdits(name, await readFile(join(terraformFolder, name), 'utf8'), edits),
    })),
  );
  return parseTerraform(files);
}

/** The repository's files with some replaced or edited (paths relative to the root). */
export function editedRepo(
  edits: readonly Edit[] = [],
  added: Record<string, string> = {},
): RepoFiles {
  const real = repoFiles(repoRoot);
  return {
    exists: (path) => path in added || real.exists(path),
    isDirectory: (path) => !(path in added) && real.isDirectory(path),
    read: (path) => added[path] ?? applyEdits(path, real.read(path), edits),
    list: (folder) => [
      ...new Set([
        ...real.list(folder),
        ...Object.keys(added).filter((path) => path.startsWith(`${folder}/`)),
      ]),
    ],
  };
}

/**
 * The checks' inputs from this checkout with edits: `terraform` edits name files in
 * infra/terraform, `repo` edits and `added` files use repository paths.
 */
export async function editedInputs(
  changes: { terraform?: Edit[]; repo?: Edit[]; added?: Record<string, string> } = {},
): Promise<RepoInputs> {
  return readRepoInputs(
    editedRepo(changes.repo ?? [], changes.added ?? {}),
    await editedTerraform(changes.terraform ?? []),
  );
}

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { type HclBody, isBody, type TerraformConfig } from './terraform-config.ts';

export interface TerraformFile {
  /** File name, used in error messages. */
  readonly name: string;
  readonly text: string;
}

/**
 * Parses Terraform files into one configuration, as Terraform reads a module: every .tf
 * file of the folder together. Rejects with the parser's message (file:line) when a file
 * is not valid HCL, and when two files declare the same resource, variable, local or output.
 */
export async function parseTerraform(files: readonly TerraformFile[]): Promise<TerraformConfig> {
  const resources = new Map<string, Map<string, HclBody>>();
  const variables = new Map<string, HclBody>();
  const outputs = new Map<string, HclBody>();
  const locals: Record<string, unknown> = {};

  for (const file of files) {
    const parsed = await parse(file.name, file.text);
    for (const [type, byName] of entries(parsed.resource)) {
      const known = resources.get(type) ?? new Map<string, HclBody>();
      resources.set(type, known);
      for (const [name, body] of entries(byName)) {
        addOnce(known, name, firstBody(body), `resource ${type}.${name}`, file.name);
      }
    }
    for (const [name, body] of entries(parsed.variable)) {
      addOnce(variables, name, firstBody(body), `variable ${name}`, file.name);
    }
    for (const [name, body] of entries(parsed.output)) {
      addOnce(outputs, name, firstBody(body), `output ${name}`, file.name);
    }
    for (const localsBlock of Array.isArray(parsed.locals) ? parsed.locals : []) {
      for (const [name, value] of entries(localsBlock)) {
        if (name in locals) {
          throw new Error(`${file.name}: local.${name} is declared twice`);
        }
        locals[name] = value;
      }
    }
  }
  return { resources, variables, outputs, locals };
}

/** Reads and parses every *.tf file of a folder (not its subfolders), in name order. */
export async function loadTerraformFolder(folder: string): Promise<TerraformConfig> {
  const names = (await readdir(folder)).filter((name) => name.endsWith('.tf')).sort();
  const files = await Promise.all(
    names.map(async (name) => ({ name, text: await readFile(join(folder, name), 'utf8') })),
  );
  return parseTerraform(files);
}

function entries(value: unknown): [string, unknown][] {
  return isBody(value) ? Object.entries(value) : [];
}

/** hcl2json gives each labelled block as a one-element array. */
function firstBody(value: unknown): HclBody {
  const body = Array.isArray(value) ? value[0] : value;
  return isBody(body) ? body : {};
}

function addOnce(
  map: Map<string, HclBody>,
  key: string,
  body: HclBody,
  what: string,
  file: string,
): void {
  if (map.has(key)) {
    throw new Error(`${file}: ${what} is declared twice`);
  }
  map.set(key, body);
}

import { allResources, type TerraformConfig } from '../terraform/terraform-config.ts';
import type { Problem } from './problem.ts';

/**
 * The Terraform's inputs are usable by someone who did not write them: every variable has
 * a type and a description, only the listed ones lack a default, and every resource's
 * `project` is var.project_id (no project is hard-coded).
 */
export function checkVariables(config: TerraformConfig, required: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  const report = (subject: string, message: string) =>
    problems.push({ check: 'variables', subject, message });
  for (const [name, body] of config.variables) {
    const subject = `var.${name}`;
    if (typeof body.description !== 'string' || body.description.trim() === '') {
      report(subject, 'has no description');
    }
    if (body.type === undefined) {
      report(subject, 'has no type');
    }
    if (!('default' in body) && !required.includes(name)) {
      report(subject, 'has no default (only the project id may be required)');
    }
  }
  for (const name of required) {
    if (!config.variables.has(name)) {
      report(`var.${name}`, 'is expected but not declared');
    }
  }
  for (const resource of allResources(config)) {
    if ('project' in resource.body && resource.body.project !== `\${var.project_id}`) {
      report(resource.address, `project is ${String(resource.body.project)}, not var.project_id`);
    }
  }
  return problems;
}

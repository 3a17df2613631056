import { findResource, type TerraformConfig } from '../terraform/terraform-config.ts';
import type { SourceFile } from './check-firestore-queries.ts';
import type { AdminApiCall } from './launcher-permissions.ts';
import type { Problem } from './problem.ts';

/**
 * A Cloud Run Admin API call in the source: a gax client method (get/list/create/update/
 * delete/run/cancel + a resource name) called on any receiver. close() and the like are
 * not API calls.
 */
const apiCall = /\.((?:get|list|create|update|delete|run|cancel)[A-Z]\w*)\(/g;

export interface LauncherPermissionInputs {
  readonly calls: readonly AdminApiCall[];
  /** The launcher's adapter sources (tests excluded). */
  readonly sources: readonly SourceFile[];
  readonly terraform: TerraformConfig;
  readonly roles: Readonly<Record<'job' | 'pool', { role: string; grant: string }>>;
}

/**
 * The launcher's least-privilege IAM against its code:
 * - the Admin API calls in the adapters are exactly the listed ones, file by file;
 * - each mode's custom role holds exactly the permissions of that mode's calls;
 * - each mode's grant binds that custom role (not a predefined one).
 */
export function checkLauncherPermissions(inputs: LauncherPermissionInputs): Problem[] {
  const problems: Problem[] = [];
  const report = (subject: string, message: string) =>
    problems.push({ check: 'launcher-permissions', subject, message });

  for (const source of inputs.sources) {
    const inCode = new Set([...source.text.matchAll(apiCall)].map((match) => match[1] as string));
    const listed = new Set(
      inputs.calls.filter((call) => call.file === source.file).map((call) => call.method),
    );
    for (const method of inCode) {
      if (!listed.has(method)) {
        report(
          source.file,
          `calls ${method}, which launcher-permissions.ts does not list (with the permission it needs)`,
        );
      }
    }
    for (const method of listed) {
      if (!inCode.has(method)) {
        report(
          source.file,
          `launcher-permissions.ts lists ${method}, which the code no longer calls`,
        );
      }
    }
  }
  for (const call of inputs.calls) {
    if (!inputs.sources.some((source) => source.file === call.file)) {
      report(call.file, `listed for ${call.method}, but not among the launcher's sources`);
    }
  }

  for (const mode of ['job', 'pool'] as const) {
    const { role, grant } = inputs.roles[mode];
    const wanted = new Set(
      inputs.calls.filter((call) => call.mode === mode).map((call) => call.permission),
    );
    const roleResource = findResource(inputs.terraform, role);
    if (roleResource === undefined) {
      report(role, `missing: the ${mode}-mode launcher's custom role`);
      continue;
    }
    const held = new Set(
      Array.isArray(roleResource.body.permissions) ? roleResource.body.permissions.map(String) : [],
    );
    for (const permission of wanted) {
      if (!held.has(permission)) {
        report(role, `lacks ${permission}, which the ${mode}-mode launcher's calls need`);
      }
    }
    for (const permission of held) {
      if (!wanted.has(permission)) {
        report(role, `holds ${permission}, which no ${mode}-mode launcher call needs`);
      }
    }
    const grantResource = findResource(inputs.terraform, grant);
    const bound = String(grantResource?.body.role ?? '');
    if (bound !== `\${${role}.id}`) {
      report(grant, `must bind \${${role}.id}, binds ${bound || 'nothing'}`);
    }
  }
  return problems;
}

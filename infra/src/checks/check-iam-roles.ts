import { splitTemplate } from '../terraform/expression-scanner.ts';
import { allResources, type TerraformConfig } from '../terraform/terraform-config.ts';
import type { Workload } from './cloud-run-workloads.ts';
import type { IamAllowlist } from './iam-allowlist.ts';
import type { Problem } from './problem.ts';

const iamResource = /^google_\w+_iam_(member|binding|policy)$/;

/**
 * Every IAM grant in the Terraform against the allowlist: the role must be allowed for the
 * principal, on that kind of resource. Authoritative bindings and policies are refused
 * (they silently remove grants made outside this Terraform). Every Cloud Run workload must
 * run as one of the deployment's service accounts, and the API and the workers as different
 * ones.
 */
export function checkIamRoles(
  config: TerraformConfig,
  workloads: readonly Workload[],
  allowlist: IamAllowlist,
): Problem[] {
  const problems: Problem[] = [];
  const report = (subject: string, message: string) =>
    problems.push({ check: 'iam', subject, message });

  for (const resource of allResources(config).filter((r) => iamResource.test(r.type))) {
    if (!resource.type.endsWith('_iam_member')) {
      report(resource.address, 'authoritative IAM resource: use the matching _iam_member resource');
      continue;
    }
    const role = String(resource.body.role ?? '');
    const principal = principalOf(String(resource.body.member ?? ''), config);
    const allowedRoles = principal === undefined ? undefined : allowlist[principal];
    if (principal === undefined || allowedRoles === undefined) {
      report(
        resource.address,
        `member ${String(resource.body.member)} is not a principal on the allowlist`,
      );
      continue;
    }
    const allowedOn = allowedRoles[role];
    if (allowedOn === undefined) {
      report(resource.address, `${role} is not on the allowlist for ${principal}`);
    } else if (!allowedOn.includes(resource.type)) {
      report(
        resource.address,
        `${role} for ${principal} may only be granted on ${allowedOn.join(', ')}, not ${resource.type}`,
      );
    }
  }

  // image role (api, worker; the GPU variant is a worker) per service account
  const rolesByAccount = new Map<string, Set<string>>();
  for (const workload of workloads) {
    const account = principalOf(String(workload.template.service_account ?? ''), config);
    if (account === undefined || !account.startsWith('google_service_account.')) {
      report(
        workload.address,
        "runs as the project's default service account: set service_account",
      );
      continue;
    }
    if (allowlist[account] === undefined) {
      report(workload.address, `runs as ${account}, which is not on the allowlist`);
    }
    const roles = rolesByAccount.get(account) ?? new Set<string>();
    rolesByAccount.set(account, roles);
    for (const container of workload.containers) {
      roles.add(container.imageName.replace(/-gpu$/, ''));
    }
  }
  for (const [account, roles] of rolesByAccount) {
    if (roles.size > 1) {
      report(
        account,
        `runs both ${[...roles].sort().join(' and ')}: give each its own service account`,
      );
    }
  }
  return problems;
}

/**
 * Who a member string or service account email names: `google_service_account.X` for a
 * reference to one of the deployment's accounts (…X.email / …X.member), `pubsub-service-agent`
 * for Google's Pub/Sub service agent, `allUsers`/`allAuthenticatedUsers` as themselves.
 * Locals are expanded first. Anything else is undefined (an unknown principal).
 */
export function principalOf(member: string, config: TerraformConfig): string | undefined {
  const text = expandLocals(member, config, 3);
  const account = /^(serviceAccount:)?\$\{google_service_account\.([\w-]+)\.(email|member)\}$/.exec(
    text,
  );
  if (account) {
    return `google_service_account.${account[2]}`;
  }
  if (/^(serviceAccount:)?service-[^@]+@gcp-sa-pubsub\.iam\.gserviceaccount\.com$/.test(text)) {
    return 'pubsub-service-agent';
  }
  if (text === 'allUsers' || text === 'allAuthenticatedUsers') {
    return text;
  }
  return undefined;
}

function expandLocals(text: string, config: TerraformConfig, depth: number): string {
  if (depth === 0) {
    return text;
  }
  return splitTemplate(text)
    .map((part) => {
      if ('text' in part) {
        return part.text;
      }
      const local = /^\s*local\.([\w-]+)\s*$/.exec(part.expression)?.[1];
      const value = local === undefined ? undefined : config.locals[local];
      return typeof value === 'string'
        ? expandLocals(value, config, depth - 1)
        : `\${${part.expression}}`;
    })
    .join('');
}

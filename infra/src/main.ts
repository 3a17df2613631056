/**
 * `npm run check -w @warmgen/infra`: the offline checks of the deployment (Terraform,
 * Dockerfiles, Cloud Build, Firestore indexes) over this checkout, without a cloud account,
 * Docker engine or terraform binary. Prints each problem; exits 1 if there is any.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@warmgen/shared/config/load-config.ts';
import { formatProblem } from './checks/problem.ts';
import { loadRepoInputs } from './repo-inputs.ts';
import { runInfraChecks } from './run-infra-checks.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const problems = runInfraChecks(await loadRepoInputs(root), loadConfig);
for (const problem of problems) {
  process.stdout.write(`${formatProblem(problem)}\n`);
}
process.stdout.write(
  problems.length === 0
    ? 'infra checks: all passed\n'
    : `infra checks: ${problems.length} problem(s)\n`,
);
process.exitCode = problems.length === 0 ? 0 : 1;

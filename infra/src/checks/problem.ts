/** One broken cross-reference found by an offline check. */
export interface Problem {
  /** Which check found it, e.g. "service-env". */
  readonly check: string;
  /** What it is about: a Terraform address, a Dockerfile, an index. */
  readonly subject: string;
  readonly message: string;
}

export function formatProblem(problem: Problem): string {
  return `[${problem.check}] ${problem.subject}: ${problem.message}`;
}

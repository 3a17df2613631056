/**
 * Fault injection for the GCS test server. A rule matches requests by operation and object
 * name; it lets `skip` matching requests through, then hits the next `times` of them.
 *
 * Status faults answer with a GCS-shaped JSON error. Body faults only apply to media
 * downloads and act at byte `atByte` of the response body (default: half-way):
 * - reset:    full Content-Length declared, the body stops at atByte and the socket is reset (RST);
 * - truncate: no Content-Length, the body ends cleanly at atByte (only a size or hash check sees it);
 * - flip:     the byte at atByte is inverted; status and headers (x-goog-hash) stay as they were;
 * - slow:     the body pauses for pauseMs at atByte, then continues.
 */
export type Operation = 'list' | 'metadata' | 'media' | 'upload' | 'delete';

export type FaultKind =
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  | { kind: 'reset'; atByte?: number }
  | { kind: 'truncate'; atByte?: number }
  | { kind: 'flip'; atByte?: number }
  | { kind: 'slow'; pauseMs: number; atByte?: number };

export type FaultRule = FaultKind & {
  /** Which requests it applies to; default 'media'. */
  operation?: Operation;
  /** Exact object name; default any object. */
  object?: string;
  /** Matching requests to let through before the fault hits; default 0. */
  skip?: number;
  /** How many matching requests it hits; default 1; Infinity for every one. */
  times?: number;
};

interface ActiveRule {
  rule: FaultRule;
  seen: number;
  hits: number;
}

export class FaultPlan {
  #rules: ActiveRule[] = [];

  add(rule: FaultRule): { readonly hits: number } {
    const active: ActiveRule = { rule, seen: 0, hits: 0 };
    this.#rules.push(active);
    return {
      get hits() {
        return active.hits;
      },
    };
  }

  clear(): void {
    this.#rules = [];
  }

  /** The fault for this request, if a rule claims it (the first matching rule wins). */
  take(operation: Operation, object: string | undefined): FaultKind | undefined {
    for (const active of this.#rules) {
      const { rule } = active;
      if ((rule.operation ?? 'media') !== operation) {
        continue;
      }
      if (rule.object !== undefined && rule.object !== object) {
        continue;
      }
      active.seen += 1;
      if (active.seen <= (rule.skip ?? 0) || active.hits >= (rule.times ?? 1)) {
        continue;
      }
      active.hits += 1;
      return rule;
    }
    return undefined;
  }
}

import { systemResolver } from '@warmgen/shared/webhooks/system-resolver.ts';
import {
  strictAddressPolicy,
  type WebhookAddressPolicy,
} from '@warmgen/shared/webhooks/webhook-address-policy.ts';
import { checkWebhookUrl, type ResolveHost } from '@warmgen/shared/webhooks/webhook-url-check.ts';
import { ApiError } from './api-error.ts';

/** The SSRF policy and resolver the API checks webhook URLs with at submit time. */
export interface WebhookUrlGuard {
  policy: WebhookAddressPolicy;
  resolve: ResolveHost;
}

export const defaultWebhookUrlGuard: WebhookUrlGuard = {
  policy: strictAddressPolicy,
  resolve: systemResolver,
};

/** A slow resolver must not hold a submission; the worker checks again when it connects. */
const resolveTimeoutMs = 2_000;
// EINVAL: getaddrinfo's answer for a name it cannot even ask about; such a name never
// resolves, so it is refused like a missing one (parseWebhookUrl catches the usual cases).
const unresolvable = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EINVAL']);

/**
 * Refuses a webhook URL the delivery worker would refuse, with a 400 naming the field
 * (e.g. `body/webhook/url is not allowed: 10.0.0.7 is a private (RFC 1918) address`).
 * A host that does not exist is refused too; a DNS failure of another kind (timeout,
 * SERVFAIL) lets the URL through: DNS trouble should not fail submissions, and delivery
 * runs the same check on every connection anyway.
 */
export async function assertWebhookUrlAllowed(
  guard: WebhookUrlGuard,
  url: string,
  field: string,
): Promise<void> {
  let reason: string | null;
  try {
    const check = await withTimeout(checkWebhookUrl(url, guard.policy, guard.resolve));
    reason = check === 'timeout' || check.ok ? null : check.reason;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    reason = unresolvable.has(code) ? `has a host that does not resolve (${code})` : null;
  }
  if (reason !== null) {
    throw new ApiError('validation_failed', `${field} ${reason}`, [{ field, message: reason }]);
  }
}

async function withTimeout<T>(work: Promise<T>): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), resolveTimeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

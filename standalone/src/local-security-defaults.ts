import type { WebhookUrlGuard } from '@warmgen/api/webhook-url-guard.ts';
import type { Config } from '@warmgen/shared/config/load-config.ts';
import { systemResolver } from '@warmgen/shared/webhooks/system-resolver.ts';
import { webhookAddressPolicy } from '@warmgen/shared/webhooks/webhook-address-policy.ts';
import { localWebhookSecret } from './local-webhook-secret.ts';

/**
 * What `npm start` relaxes for a developer's machine, each with a notice it logs loudly:
 * - no API keys configured: the API runs open (AUTH_MODE=open is the embedded default);
 * - WEBHOOK_ALLOW_HOSTS unset: webhooks may go to loopback (a receiver on this machine),
 *   nothing else private; WEBHOOK_ALLOW_HOSTS=none keeps the strict production policy;
 * - WEBHOOK_SECRETS unset: a signing secret kept in DATA_DIR/webhook-secret.
 * Outside npm start (the API and worker mains) none of this applies: strict by default.
 */
export function localSecurityDefaults(config: Config): {
  webhookGuard: WebhookUrlGuard;
  webhookSecrets: readonly string[];
  notices: string[];
} {
  const notices: string[] = [];
  if (config.auth.mode === 'open') {
    notices.push(
      'API IS OPEN: no API keys configured, anyone who can reach this port can use it (set API_KEYS to require keys)',
    );
  }
  const allowHosts = config.webhooks.allowHosts ?? ['loopback'];
  if (config.webhooks.allowHosts === null) {
    notices.push(
      'WEBHOOKS MAY CALL LOOPBACK: npm start lets webhooks reach 127.0.0.0/8, ::1 and localhost for local receivers (WEBHOOK_ALLOW_HOSTS=none for the strict production policy)',
    );
  }
  if (config.webhooks.allowPrivate) {
    notices.push('WEBHOOKS MAY CALL PRIVATE ADDRESSES: WEBHOOK_ALLOW_PRIVATE=true');
  }
  let webhookSecrets = config.webhooks.secrets;
  if (webhookSecrets.length === 0) {
    const local = localWebhookSecret(config.dataDir);
    webhookSecrets = [local.secret];
    notices.push(
      `WEBHOOK SIGNING SECRET is the local one in ${local.path} (give receivers that secret, or set WEBHOOK_SECRETS)`,
    );
  }
  return {
    webhookGuard: {
      policy: webhookAddressPolicy({ allowHosts, allowPrivate: config.webhooks.allowPrivate }),
      resolve: systemResolver,
    },
    webhookSecrets,
    notices,
  };
}

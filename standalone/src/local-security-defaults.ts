import type { WebhookUrlGuard } from '@warmgen/api/webhook-url-guard.ts';
import { allInterfaces } from '@warmgen/shared/config/config-defaults.ts';
import type { Config } from '@warmgen/shared/config/load-config.ts';
import { systemResolver } from '@warmgen/shared/webhooks/system-resolver.ts';
import { configuredWebhookPolicy } from '@warmgen/shared/webhooks/webhook-address-policy.ts';
import { localWebhookSecret } from './local-webhook-secret.ts';

/**
 * What `npm start` relaxes (or tightens) for a developer's machine, each with a notice it
 * logs loudly:
 * - no API keys configured: the API runs open (AUTH_MODE=open is the embedded default),
 *   so unless HOST says otherwise it listens on 127.0.0.1 only: an open API on every
 *   interface would serve anyone on the network;
 * - WEBHOOK_ALLOW_HOSTS unset: webhooks may go to loopback (a receiver on this machine),
 *   nothing else private; WEBHOOK_ALLOW_HOSTS=none keeps the strict production policy;
 * - WEBHOOK_SECRETS unset: a signing secret kept in DATA_DIR/webhook-secret.
 * Outside npm start (the API and worker mains) none of this applies: strict by default.
 */
export function localSecurityDefaults(config: Config): {
  host: string;
  webhookGuard: WebhookUrlGuard;
  webhookSecrets: readonly string[];
  notices: string[];
} {
  const notices: string[] = [];
  let host = config.host ?? allInterfaces;
  if (config.auth.mode === 'open') {
    notices.push(
      'API IS OPEN: no API keys configured, anyone who can reach this port can use it (set API_KEYS to require keys)',
    );
    if (config.host === null) {
      host = loopback;
      notices.push(
        `LISTENING ON ${loopback} ONLY: the API is open, so npm start accepts no other machine (set HOST=0.0.0.0 to listen on every interface, with API_KEYS to require keys)`,
      );
    }
  }
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
    host,
    webhookGuard: {
      policy: configuredWebhookPolicy(config.webhooks, ['loopback']),
      resolve: systemResolver,
    },
    webhookSecrets,
    notices,
  };
}

const loopback = '127.0.0.1';

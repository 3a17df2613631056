import { Webhook } from 'standardwebhooks';

/**
 * Standard Webhooks signing: HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`
 * with each configured secret, as `v1,<base64>` signatures separated by spaces. Receivers
 * accept a request when any signature matches one of their secrets, so during a rotation
 * both the old and the new secret are configured here and receivers move at their pace.
 * The timestamp is the attempt's (receivers refuse ones older than 5 minutes); the id is the
 * event's, the same on every attempt.
 */
export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export type SignWebhook = (eventId: string, at: Date, body: string) => SignatureHeaders;

export function createWebhookSigner(secrets: readonly string[]): SignWebhook {
  if (secrets.length === 0) {
    throw new Error('webhook signing needs at least one whsec_ secret');
  }
  const signers = secrets.map((secret) => new Webhook(secret));
  return (eventId, at, body) => ({
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1_000)),
    'webhook-signature': signers.map((signer) => signer.sign(eventId, at, body)).join(' '),
  });
}

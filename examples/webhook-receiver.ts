/**
 * A minimal warmgen webhook receiver: verifies each request per Standard Webhooks with the
 * `standardwebhooks` library, over the RAW body bytes, and acts on each event once.
 *
 *   WEBHOOK_SECRET=whsec_... PORT=9000 node examples/webhook-receiver.ts
 *
 * Then submit a job with "webhook": {"url": "http://localhost:9000/hooks/warmgen"}.
 * (npm start keeps its signing secret in .data/webhook-secret unless WEBHOOK_SECRETS is set.)
 */
import { createServer } from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

const secret = process.env.WEBHOOK_SECRET;
if (secret === undefined || !secret.startsWith('whsec_')) {
  process.stderr.write('set WEBHOOK_SECRET to the whsec_… secret warmgen signs with\n');
  process.exit(2);
}
const port = Number(process.env.PORT ?? 9000);
const webhook = new Webhook(secret);
/** webhook-id values already handled: a retry of the same event carries the same id. */
const seen = new Set<string>();

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    // Verify the bytes as they arrived: a parsed and re-serialised body would not match.
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let event: { type: string; timestamp: string; data: { id: string; status: string } };
    try {
      event = webhook.verify(rawBody, request.headers as Record<string, string>) as typeof event;
    } catch (error) {
      const reason = error instanceof WebhookVerificationError ? error.message : 'bad request';
      process.stdout.write(`rejected: ${reason}\n`);
      response.writeHead(400).end();
      return;
    }
    const id = String(request.headers['webhook-id']);
    if (seen.has(id)) {
      process.stdout.write(`duplicate ${id}: already handled\n`);
      response.writeHead(204).end();
      return;
    }
    seen.add(id);
    // Answer 2xx quickly; do slow work after (or queue it): warmgen waits at most 10 s.
    response.writeHead(204).end();
    process.stdout.write(
      `verified ${event.type} ${id} for ${event.data.id} (${event.data.status})\n`,
    );
  });
});

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  process.stdout.write(`listening on http://127.0.0.1:${actual}/hooks/warmgen\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}

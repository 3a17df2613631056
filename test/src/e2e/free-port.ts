import { createServer } from 'node:net';

/**
 * A TCP port that was free on 127.0.0.1 a moment ago. The service does not report the port
 * it bound when given PORT=0, so the harness picks one and passes it in. Another process
 * could grab it in between; startService retries with a new port when that happens.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

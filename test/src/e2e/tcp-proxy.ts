import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a loopback port in front of `target` (host:port), which a test can cut
 * and restore: an outage of the service behind it, as the API sees one, without stopping
 * the emulator (stopping it would wipe its data). Cutting closes the listener and resets
 * every open connection; restoring listens on the same port again.
 */
export interface TcpProxy {
  /** host:port to give the client instead of the target. */
  readonly address: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const separator = target.lastIndexOf(':');
  const targetHost = target.slice(0, separator);
  const targetPort = Number(target.slice(separator + 1));
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  let port = 0;
  let server: Server | null = null;
  const listen = async () => {
    const next = createServer((client) => {
      track(client);
      const upstream = connect(targetPort, targetHost);
      track(upstream);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    next.listen(port, '127.0.0.1');
    await once(next, 'listening');
    port = (next.address() as { port: number }).port;
    server = next;
  };
  const cut = async () => {
    const current = server;
    server = null;
    if (current !== null) {
      const closed = new Promise<void>((resolve) => current.close(() => resolve()));
      for (const socket of sockets) {
        socket.resetAndDestroy();
      }
      await closed;
    }
  };

  await listen();
  return {
    address: `127.0.0.1:${port}`,
    cut,
    restore: async () => {
      if (server === null) {
        await listen();
      }
    },
    close: cut,
  };
}

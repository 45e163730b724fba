import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileResources } from './resources';

/**
 * A TCP proxy of the test's own between a service and a shared dependency (local-kms, the registry), so a test
 * can take the dependency away from that one service without touching what other tests use. `cut()` closes
 * every connection through it and stops listening, so new connections are refused (what a dependency that is
 * down looks like to a client); `restore()` listens again on the same port. With `delayMs`, everything the
 * dependency answers reaches the client that much later (in order): a slow dependency whatever the machine's speed.
 * Registered for clean-up when made.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    private readonly delayMs = 0,
  ) {
    fileResources().add('tcp proxy', this, (p) => p.cut());
  }

  /** A proxy in front of the host and port of `url`. */
  static for(url: string, options: { delayMs?: number } = {}): TcpProxy {
    const u = new URL(url);
    return new TcpProxy(u.hostname, Number(u.port || (u.protocol === 'https:' ? 443 : 80)), options.delayMs);
  }

  get port(): number {
    if (this.boundPort === 0) throw new Error('the proxy has not listened yet');
    return this.boundPort;
  }

  /** `url` with its host and port replaced by the proxy's (path and query kept). */
  through(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  }

  get isOpen(): boolean {
    return this.server !== undefined;
  }

  /** Listens (on an ephemeral port the first time, on the same port after a cut). */
  async open(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
        // A reset on one side closes the other; the error itself is the point of a cut, not a failure.
        s.on('error', () => undefined);
      }
      client.pipe(upstream).on('error', () => undefined);
      if (this.delayMs > 0) {
        // Timers of one duration fire in the order they were set: the answers keep their order.
        upstream.on('data', (chunk: Buffer) => setTimeout(() => client.destroyed || client.write(chunk), this.delayMs));
        upstream.once('end', () => setTimeout(() => client.end(), this.delayMs));
      } else {
        upstream.pipe(client).on('error', () => undefined);
      }
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** The dependency goes away: open connections are reset, new ones refused. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The dependency comes back on the same address. */
  restore(): Promise<void> {
    return this.open();
  }
}

import { createServer, type Server } from 'node:http';
import { Gauge, type Registry } from 'prom-client';
import type { Component } from '@ampseal/foundation';

export interface Readiness {
  /** Ready to do its work (dependencies answer, partitions assigned). */
  ready(): boolean;
  /** Short machine-readable reasons when not ready (`redis_unavailable`), never data. */
  reasons(): string[];
}

/**
 * `/healthz` (the process is alive), `/readyz` (it can do its work; 503 while a dependency is down),
 * `/metrics` (Prometheus). Every service serves these (design §7), and nothing else: the shredder's admin API has a
 * listener of its own (services/shredder/src/admin-server.ts), so this port needs no authentication.
 */
export class OpsServer implements Component {
  readonly name = 'ops-http';
  private server: Server | undefined;
  private boundPort = 0;
  private draining = false;
  private failure: string | undefined;

  constructor(
    private readonly options: { host: string; port: number; registry: Registry; readiness: Readiness },
  ) {
    // What /readyz answers, as a metric: Prometheus scrapes not-ready pods too, so an alert can say how long an
    // instance has been paused or failed without kube-state-metrics.
    const isReady = () => this.failure === undefined && !this.draining && options.readiness.ready();
    new Gauge({
      name: 'ampseal_ready',
      help: '1 while /readyz answers 200',
      registers: [options.registry],
      collect() {
        this.set(isReady() ? 1 : 0);
      },
    });
  }

  /**
   * The instance failed for good (failure policy `stop`): from here /readyz answers 503 `failed` with the reason,
   * also while the process stops, until it is gone.
   */
  fail(reason: string): void {
    this.failure ??= reason;
  }

  /** Readiness fails first on SIGTERM: from here /readyz answers 503 `stopping` while the rest stops. */
  stopping(): void {
    this.draining = true;
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const { registry, readiness } = this.options;
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method === 'GET' && path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        return;
      }
      if (req.method === 'GET' && path === '/readyz') {
        if (this.failure !== undefined) {
          res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'failed', reasons: [this.failure] }));
          return;
        }
        if (this.draining) {
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"stopping","reasons":["stopping"]}');
          return;
        }
        const ready = readiness.ready();
        res
          .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: ready ? 'ready' : 'not_ready', reasons: ready ? [] : readiness.reasons() }));
        return;
      }
      if (req.method === 'GET' && path === '/metrics') {
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
    });
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, this.options.host, () => resolve());
    });
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : this.options.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }
}

/**
 * Stops listening and ends every connection, idle or not: `close()` alone waits for keep-alive clients (a
 * scraper, an operator's session) to go away, which would make a service's stop wait on its callers.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

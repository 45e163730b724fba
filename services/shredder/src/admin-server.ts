import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { closeServer, type AdminListener, type Component, type Logger } from '@ampseal/service-kit';
import { ADMIN_PREFIX, PLAN_PATH } from './admin-api';
import { CONSOLE } from './console/pages';

/**
 * Limits of the admin listener. A request's headers must arrive within 10 s and the whole request within 30 s
 * (slow-loris clients hold no connection longer); an idle kept-alive connection closes after 5 s; a socket silent
 * for 60 s is closed. Bodies are capped by the API itself (64 KiB).
 */
export const ADMIN_LIMITS = Object.freeze({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, idleSocketMs: 60_000, maxRequestsPerSocket: 100, checkIntervalMs: 1_000 });

/**
 * The shredder's admin API on a listener of its own (AMPSEAL_ADMIN_PORT), apart from /healthz, /readyz and /metrics
 * on the ops port: the network policy can then admit operators to one port and Prometheus to the other, and the
 * admin port can speak TLS without the probes needing certificates. Off unless configured.
 */
export class AdminServer implements Component {
  readonly name = 'admin-http';
  private server: Server | undefined;
  private boundPort = 0;

  constructor(
    private readonly options: {
      readonly listener: AdminListener;
      readonly api: (req: IncomingMessage, res: ServerResponse) => void;
      /** The privacy console under /console, when enabled. */
      readonly console?: (req: IncomingMessage, res: ServerResponse) => void;
      readonly logger: Logger;
    },
  ) {}

  get port(): number {
    return this.boundPort;
  }

  /** Open connections now (what AMPSEAL_ADMIN_MAX_CONNECTIONS bounds). */
  connections(): Promise<number> {
    const server = this.server;
    if (!server) return Promise.resolve(0);
    return new Promise((resolve, reject) => server.getConnections((err, count) => (err ? reject(err) : resolve(count))));
  }

  async start(): Promise<void> {
    const { listener, api, logger } = this.options;
    const route = (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === ADMIN_PREFIX || path === PLAN_PATH || path.startsWith(`${ADMIN_PREFIX}/`)) return api(req, res);
      if (this.options.console && (path === '/' || path === CONSOLE.root || path.startsWith(`${CONSOLE.root}/`))) return this.options.console(req, res);
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
    };
    const options = {
      headersTimeout: ADMIN_LIMITS.headersTimeoutMs,
      requestTimeout: ADMIN_LIMITS.requestTimeoutMs,
      keepAliveTimeout: ADMIN_LIMITS.keepAliveTimeoutMs,
      // Node checks the two timeouts above on this interval (30 s by default, which would triple the header limit).
      connectionsCheckingInterval: ADMIN_LIMITS.checkIntervalMs,
    };
    const server: Server = listener.tls
      ? createHttpsServer({ ...options, cert: listener.tls.cert, key: listener.tls.key, minVersion: 'TLSv1.2' }, route)
      : createHttpServer(options, route);
    server.maxConnections = listener.maxConnections;
    server.maxRequestsPerSocket = ADMIN_LIMITS.maxRequestsPerSocket;
    server.setTimeout(ADMIN_LIMITS.idleSocketMs, (socket) => socket.destroy());
    // A failed TLS handshake is the client's problem: noted, never a crash. (Malformed or late requests get Node's
    // own answer: 400, 408 or 431, then the connection closes.)
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
      logger.info({ event: 'admin.tls_error', remote: socket.remoteAddress, code: err.code }, 'admin TLS handshake failed');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listener.port, listener.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : listener.port;
    logger.info({ port: this.boundPort, tls: listener.tls !== undefined, operators: listener.operators.length, maxConnections: listener.maxConnections, console: this.options.console !== undefined }, 'admin API listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }
}

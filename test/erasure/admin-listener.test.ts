import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { loadConfig } from '@ampseal/service-kit';
import { createShredder, type Shredder } from '@ampseal/shredder';
import { adminSetUp, selfSignedCertificate } from '../harness/admin';
import { captureLogger } from '../harness/capture-logger';
import { pipelineEnv } from '../harness/pipeline';
import { useResources } from '../harness/resources';

/**
 * The shredder's admin listener (services/shredder/src/admin-server.ts): a port of its own, off unless
 * AMPSEAL_ADMIN_PORT is set, optionally TLS, named operators in the audit log, 401 closes the connection.
 */
const resources = useResources({ budgetMs: 180_000 });

async function startShredder(env: Record<string, string>, level = 'info'): Promise<{ shredder: Shredder; lines: string[] }> {
  const { logger, lines } = captureLogger(level);
  const shredder = createShredder(loadConfig(pipelineEnv({ AMPSEAL_GROUP_ID: `shredder-${randomBytes(4).toString('hex')}`, ...env })), logger);
  resources.add('shredder', shredder, (s) => s.lifecycle.stop());
  await shredder.lifecycle.start();
  return { shredder, lines };
}

/** One request on a connection of its own (no agent: nothing pooled stays open after the test). */
function call(url: string, options: { method?: string; token?: string; body?: string; ca?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(url, { method: options.method ?? 'GET', headers, agent: false, ...(options.ca ? { ca: options.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A raw connection: what the server sends, and whether it closed the connection (not the client). */
function rawConnection(port: number): { socket: Socket; received: () => string; closed: Promise<void> } {
  const socket = resources.add('socket', connect(port, '127.0.0.1'), async (s) => s.destroy());
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => Buffer.concat(chunks).toString(), closed };
}

describe('the admin listener', () => {
  it('is off by default: no admin port, and the ops port serves no admin API', async () => {
    const { shredder, lines } = await startShredder({});
    expect(shredder.admin).toBeUndefined();
    const ops = `http://127.0.0.1:${shredder.ops.port}`;
    expect((await call(`${ops}/admin/v1/requests/anything`)).status).toBe(404);
    expect((await call(`${ops}/readyz`)).status).toBe(200);
    expect(lines.join('')).toContain('admin API off: AMPSEAL_ADMIN_PORT is not set');
  });

  describe('on its own port, plain HTTP', () => {
    const admin = adminSetUp(resources, ['alice', 'bob']);
    let shredder: Shredder;
    let lines: string[];
    let base = '';

    beforeAll(async () => {
      ({ shredder, lines } = await startShredder({ ...admin.env, AMPSEAL_ADMIN_MAX_CONNECTIONS: '3' }));
      base = `http://127.0.0.1:${shredder.admin!.port}`;
    });

    it('audits each call with the named operator and the remote address', async () => {
      expect((await call(`${base}/admin/v1/requests/req-for-alice`, { token: admin.tokens.alice })).status).toBe(404);
      expect((await call(`${base}/admin/v1/requests/req-for-bob`, { token: admin.tokens.bob })).status).toBe(404);
      const audit = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === 'admin.call');
      expect(audit).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ operator: 'alice', remote: '127.0.0.1', method: 'GET', route: '/admin/v1/requests/:id', status: 404, requestId: 'req-for-alice' }),
          expect.objectContaining({ operator: 'bob', remote: '127.0.0.1', method: 'GET', route: '/admin/v1/requests/:id', status: 404, requestId: 'req-for-bob' }),
        ]),
      );
      // Tokens never reach the log.
      expect(lines.join('')).not.toContain(admin.tokens.alice!);
    });

    it('answers a wrong token with 401, audits the remote address, and closes the connection', async () => {
      const { socket, received, closed } = rawConnection(shredder.admin!.port);
      // Keep-alive asked for, and a valid operator's token with one character changed.
      const wrong = `${admin.tokens.alice!.slice(0, -1)}${admin.tokens.alice!.endsWith('A') ? 'B' : 'A'}`;
      socket.write(`GET /admin/v1/requests/x HTTP/1.1\r\nHost: admin\r\nConnection: keep-alive\r\nAuthorization: Bearer ${wrong}\r\n\r\n`);
      await closed;
      expect(received()).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
      expect(received()).toMatch(/\r\nconnection: close\r\n/i);
      const refused = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === 'admin.call' && e.status === 401);
      expect(refused).toEqual([expect.objectContaining({ remote: '127.0.0.1', route: '/admin/v1/requests/:id' })]);
      expect(refused[0]).not.toHaveProperty('operator');
    });

    it('keeps an authenticated connection open: two requests on one connection both answered', async () => {
      const { socket, received, closed } = rawConnection(shredder.admin!.port);
      const get = (id: string) => `GET /admin/v1/requests/${id} HTTP/1.1\r\nHost: admin\r\nAuthorization: Bearer ${admin.tokens.bob}\r\n\r\n`;
      socket.write(get('first') + get('second'));
      while ((received().match(/HTTP\/1\.1 404/g) ?? []).length < 2) await new Promise((r) => setTimeout(r, 20));
      expect(socket.destroyed).toBe(false);
      socket.destroy();
      await closed;
    });

    it('serves only the admin API: /metrics and /readyz stay on the ops port', async () => {
      expect((await call(`${base}/metrics`, { token: admin.tokens.alice })).status).toBe(404);
      expect((await call(`${base}/readyz`)).status).toBe(404);
      const metrics = await call(`http://127.0.0.1:${shredder.ops.port}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('ampseal_paused');
      expect((await call(`http://127.0.0.1:${shredder.ops.port}/admin/v1/requests/x`, { token: admin.tokens.alice })).status).toBe(404);
    });

    it('refuses connections beyond its limit (AMPSEAL_ADMIN_MAX_CONNECTIONS)', async () => {
      // Earlier tests' connections are closed on the server's side too before counting starts.
      while ((await shredder.admin!.connections()) > 0) await new Promise((r) => setTimeout(r, 20));
      const request = `GET /admin/v1/requests/x HTTP/1.1\r\nHost: admin\r\nAuthorization: Bearer ${admin.tokens.alice}\r\n\r\n`;
      const held = [rawConnection(shredder.admin!.port), rawConnection(shredder.admin!.port), rawConnection(shredder.admin!.port)];
      // Each answered once and kept open: three connections the server has accepted and counts.
      for (const c of held) c.socket.write(request);
      while (held.some((c) => !c.received().includes('HTTP/1.1 404'))) await new Promise((r) => setTimeout(r, 20));
      expect(await shredder.admin!.connections()).toBe(3);
      const fourth = rawConnection(shredder.admin!.port);
      fourth.socket.write(request);
      await fourth.closed;
      expect(fourth.received()).toBe('');
      for (const c of held) c.socket.destroy();
      await Promise.all(held.map((c) => c.closed));
    });

    it('closes a connection whose headers do not arrive in time (408)', async () => {
      const { socket, received, closed } = rawConnection(shredder.admin!.port);
      socket.write('GET /admin/v1/requests/x HTTP/1.1\r\nHost: admin\r\n');
      await closed;
      expect(received()).toMatch(/^HTTP\/1\.1 408/);
    }, 40_000);
  });

  describe('with TLS', () => {
    const admin = adminSetUp(resources, ['carol']);
    const tls = selfSignedCertificate(admin.dir);
    let shredder: Shredder;
    let lines: string[];

    beforeAll(async () => {
      ({ shredder, lines } = await startShredder({ ...admin.env, AMPSEAL_ADMIN_TLS_CERT_FILE: tls.certFile, AMPSEAL_ADMIN_TLS_KEY_FILE: tls.keyFile }));
    });

    it('serves the admin API over TLS to a client that trusts the certificate, and audits the operator', async () => {
      const res = await call(`https://127.0.0.1:${shredder.admin!.port}/admin/v1/requests/req-over-tls`, { token: admin.tokens.carol, ca: tls.pem });
      expect(res).toEqual({ status: 404, body: '{"error":"unknown_request"}' });
      expect(lines.join('')).toMatch(/"event":"admin.call","operator":"carol","remote":"127.0.0.1".*"status":404/);
    });

    it('answers no plain HTTP on the TLS port, and a client that does not trust the certificate gets no answer', async () => {
      await expect(call(`http://127.0.0.1:${shredder.admin!.port}/admin/v1/requests/x`, { token: admin.tokens.carol })).rejects.toThrow();
      await expect(call(`https://127.0.0.1:${shredder.admin!.port}/admin/v1/requests/x`, { token: admin.tokens.carol })).rejects.toThrow(/self[- ]signed/i);
    });
  });
});

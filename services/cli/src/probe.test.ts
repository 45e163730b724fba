import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probe } from './probe';

/**
 * A local HTTP server that answers 503 `starting` the first `busy` times, then 200; with `hangAfter`, it stops
 * answering after that many answers (a service wedged mid-probe).
 */
async function server(
  busy: number,
  hangAfter = Number.MAX_SAFE_INTEGER,
): Promise<{ url: string; asked: () => number; closeAll: () => void; close: () => Promise<void> }> {
  let asked = 0;
  const s: Server = createServer((_req, res) => {
    asked++;
    if (asked > hangAfter) return;
    if (asked <= busy) res.writeHead(503).end('{"status":"starting"}');
    else res.writeHead(200).end('{"status":"ready"}');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/readyz`,
    asked: () => asked,
    closeAll: () => s.closeAllConnections(),
    close: () => new Promise((r) => s.close(() => r())),
  };
}

describe('ampseal probe', () => {
  it('retries a service that is still starting until it answers 200, then goes on to the next URL', async () => {
    const a = await server(2);
    const b = await server(0);
    const lines: string[] = [];
    try {
      expect(await probe([a.url, b.url], { timeoutMs: 10_000, intervalMs: 10, write: (l) => lines.push(l) })).toBe(true);
      expect([a.asked(), b.asked()]).toEqual([3, 1]);
      expect(lines).toEqual([`${a.url}: 200 {"status":"ready"}`, `${b.url}: 200 {"status":"ready"}`]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('fails at the deadline naming the last answer, which an attempt cut by the deadline does not replace', async () => {
    // The second ask never gets an answer, so the probe's last attempt is always the one the deadline cuts, however
    // fast or slow the machine: the 503 must survive it.
    const a = await server(Number.MAX_SAFE_INTEGER, 1);
    const lines: string[] = [];
    try {
      expect(await probe([a.url], { timeoutMs: 1_000, intervalMs: 20, write: (l) => lines.push(l) })).toBe(false);
      expect(a.asked()).toBe(2);
      expect(lines).toEqual([`${a.url}: not ready within 1 s (last: 503 {"status":"starting"})`]);
    } finally {
      a.closeAll();
      await a.close();
    }
  });

  it('names a timeout when no attempt was ever answered', async () => {
    const a = await server(0, 0);
    const lines: string[] = [];
    try {
      expect(await probe([a.url], { timeoutMs: 300, intervalMs: 20, write: (l) => lines.push(l) })).toBe(false);
      expect(lines).toEqual([`${a.url}: not ready within 0.3 s (last: timed out)`]);
    } finally {
      a.closeAll();
      await a.close();
    }
  });

  it('treats a refused connection as not ready yet, not as a crash', async () => {
    const a = await server(0);
    const { url } = a;
    await a.close();
    const lines: string[] = [];
    expect(await probe([url], { timeoutMs: 1_000, intervalMs: 20, write: (l) => lines.push(l) })).toBe(false);
    expect(lines[0]).toMatch(/not ready within 1 s \(last: ECONNREFUSED\)$/);
  });
});

import { Registry } from 'prom-client';
import { Lifecycle, silentLogger, type Component } from '@ampseal/foundation';
import { OpsServer } from './ops-server';

describe('the ops server', () => {
  it('exports readiness as ampseal_ready: 1 while /readyz answers 200, 0 once the instance failed', async () => {
    let ready = false;
    const registry = new Registry();
    const ops = new OpsServer({ host: '127.0.0.1', port: 0, registry, readiness: { ready: () => ready, reasons: () => ['starting'] } });
    const metric = async () => (await (await fetch(`http://127.0.0.1:${ops.port}/metrics`)).text()).match(/^ampseal_ready (\d)$/m)?.[1];
    await ops.start();
    try {
      expect(await metric()).toBe('0');
      ready = true;
      expect(await metric()).toBe('1');
      ops.fail('stream_failed');
      expect(await metric()).toBe('0');
    } finally {
      await ops.stop();
    }
  });

  it('answers /readyz 503 stopping as soon as stop begins, before any other component is stopped', async () => {
    const ops = new OpsServer({ host: '127.0.0.1', port: 0, registry: new Registry(), readiness: { ready: () => true, reasons: () => [] } });
    const seen: Array<{ status: number; body: unknown }> = [];
    const stream: Component = {
      name: 'stream',
      start: async () => undefined,
      // What a load balancer sees while the stream drains its batch in hand.
      stop: async () => {
        const res = await fetch(`http://127.0.0.1:${ops.port}/readyz`);
        seen.push({ status: res.status, body: await res.json() });
      },
    };
    const life = new Lifecycle(silentLogger, 5_000).add(ops).add(stream);
    await life.start();
    expect((await fetch(`http://127.0.0.1:${ops.port}/readyz`)).status).toBe(200);
    expect(await life.stop()).toBe(true);
    expect(seen).toEqual([{ status: 503, body: { status: 'stopping', reasons: ['stopping'] } }]);
  });

  it('answers /readyz 503 failed with the reason once the instance failed for good, also while it stops', async () => {
    const ops = new OpsServer({ host: '127.0.0.1', port: 0, registry: new Registry(), readiness: { ready: () => true, reasons: () => [] } });
    const seen: unknown[] = [];
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${ops.port}/readyz`);
      return { status: res.status, body: await res.json() };
    };
    const stream: Component = { name: 'stream', start: async () => undefined, stop: async () => void seen.push(await readyz()) };
    const life = new Lifecycle(silentLogger, 5_000).add(ops).add(stream);
    await life.start();
    ops.fail('producer_fenced');
    ops.fail('stream_failed'); // the first reason stays: it is the cause, later ones are consequences
    seen.push(await readyz());
    expect(await life.stop()).toBe(true);
    const failed = { status: 503, body: { status: 'failed', reasons: ['producer_fenced'] } };
    expect(seen).toEqual([failed, failed]);
  });
});

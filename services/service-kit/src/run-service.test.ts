import { Registry } from 'prom-client';
import { AmpsealError } from '@ampseal/core';
import { Lifecycle } from '@ampseal/foundation';
import { OpsServer } from './ops-server';
import { runService } from './run-service';

describe('ampseal run', () => {
  it('stops the service and exits 1 when it fails for good while running, and a signal then cannot make it 0', async () => {
    const before = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };
    let fail: (error: AmpsealError) => void = () => undefined;
    const failed = new Promise<AmpsealError>((resolve) => (fail = resolve));
    const stopped: string[] = [];
    const codes: number[] = [];
    let exited: () => void = () => undefined;
    const exit = new Promise<void>((resolve) => (exited = resolve));
    await runService(
      'test-service',
      { AMPSEAL_LOG_LEVEL: 'silent', AMPSEAL_HTTP_PORT: '0', AMPSEAL_HTTP_HOST: '127.0.0.1', AMPSEAL_STOP_DEADLINE_MS: '2000' },
      (config, logger) => ({
        ops: new OpsServer({ host: config.httpHost, port: config.httpPort, registry: new Registry(), readiness: { ready: () => true, reasons: () => [] } }),
        lifecycle: new Lifecycle(logger, config.stopDeadlineMs).add({ name: 'stream', start: async () => undefined, stop: async () => void stopped.push('stream') }),
        failed,
      }),
      {},
      (code) => {
        codes.push(code);
        exited();
      },
    );
    expect(stopped).toEqual([]);
    fail(new AmpsealError('PRODUCER_FENCED'));
    await exit;
    expect(stopped).toEqual(['stream']);
    expect(codes).toEqual([1]);
    // SIGTERM after the failure (the orchestrator's own stop racing ours): still 1.
    process.emit('SIGTERM', 'SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    expect(codes).toEqual([1, 1]);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      for (const listener of process.listeners(signal)) if (!before[signal].includes(listener)) process.off(signal, listener);
    }
  });

  it('exits 1 when the start fails (a dependency down at start), after stopping what had started', async () => {
    const before = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };
    const stopped: string[] = [];
    const codes: number[] = [];
    await runService(
      'test-service',
      { AMPSEAL_LOG_LEVEL: 'silent', AMPSEAL_HTTP_PORT: '0', AMPSEAL_HTTP_HOST: '127.0.0.1', AMPSEAL_STOP_DEADLINE_MS: '2000' },
      (config, logger) => ({
        ops: new OpsServer({ host: config.httpHost, port: config.httpPort, registry: new Registry(), readiness: { ready: () => true, reasons: () => [] } }),
        lifecycle: new Lifecycle(logger, config.stopDeadlineMs)
          .add({ name: 'keyring', start: async () => undefined, stop: async () => void stopped.push('keyring') })
          .add({
            name: 'stream',
            start: async () => {
              throw new AmpsealError('REGISTRY_UNAVAILABLE');
            },
            stop: async () => void stopped.push('stream'),
          }),
      }),
      {},
      (code) => codes.push(code),
    );
    expect(stopped).toEqual(['keyring']);
    expect(codes).toEqual([1]);
    expect(process.exitCode ?? 0).toBe(0);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      for (const listener of process.listeners(signal)) if (!before[signal].includes(listener)) process.off(signal, listener);
    }
  });
});

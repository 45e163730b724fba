import { silentLogger } from './logger';
import { Lifecycle, type Component } from './lifecycle';

const silent = silentLogger;

function component(name: string, log: string[], behaviour: { failStart?: boolean; hangStop?: boolean } = {}): Component {
  return {
    name,
    async start() {
      if (behaviour.failStart) throw new Error('boom');
      log.push(`start ${name}`);
    },
    async stop() {
      if (behaviour.hangStop) await new Promise(() => undefined);
      log.push(`stop ${name}`);
    },
  };
}

describe('Lifecycle', () => {
  it('starts in order and stops in reverse, reporting a clean stop', async () => {
    const log: string[] = [];
    const life = new Lifecycle(silent, 1000).add(component('a', log)).add(component('b', log)).add(component('c', log));
    await life.start();
    expect(await life.stop()).toBe(true);
    expect(log).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
  });

  it('stops what already started when a later start fails', async () => {
    const log: string[] = [];
    const life = new Lifecycle(silent, 1000).add(component('a', log)).add(component('b', log, { failStart: true }));
    await expect(life.start()).rejects.toThrow('boom');
    expect(log).toEqual(['start a', 'stop a']);
  });

  it('reports an unclean stop when a component passes the deadline, and still stops the rest', async () => {
    const log: string[] = [];
    const life = new Lifecycle(silent, 50).add(component('a', log)).add(component('b', log, { hangStop: true }));
    await life.start();
    expect(await life.stop()).toBe(false);
    expect(log).toEqual(['start a', 'start b', 'stop a']);
  });

  it('tells every started component that it is stopping before it stops the first one', async () => {
    const log: string[] = [];
    const announcing = (name: string): Component => ({ ...component(name, log), stopping: () => log.push(`stopping ${name}`) });
    const life = new Lifecycle(silent, 1000).add(announcing('ops')).add(announcing('stream'));
    await life.start();
    expect(life.isStopping).toBe(false);
    await life.stop();
    expect(life.isStopping).toBe(true);
    expect(log).toEqual(['start ops', 'start stream', 'stopping ops', 'stopping stream', 'stop stream', 'stop ops']);
  });
});

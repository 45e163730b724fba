import { randomBytes } from 'node:crypto';

/** A topic, group or key name no other test (or earlier run) uses: `<prefix>.<8 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}.${randomBytes(4).toString('hex')}`;
}

/**
 * Everything a test file opens is registered here and closed after its last test, in reverse order;
 * `afterAll` then checks none is left, so a forgotten client fails the file instead of hanging the run.
 */
export class Resources {
  private readonly closers: Array<{ name: string; close: () => Promise<unknown> }> = [];

  add<T>(name: string, value: T, close: (value: T) => Promise<unknown>): T {
    this.closers.push({ name, close: () => close(value) });
    return value;
  }

  get open(): number {
    return this.closers.length;
  }

  async closeAll(): Promise<void> {
    const errors: unknown[] = [];
    while (this.closers.length > 0) {
      const { close } = this.closers.pop()!;
      try {
        await close();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'closing test resources failed');
  }
}

export function useResources(): Resources {
  const resources = new Resources();
  afterAll(async () => {
    await resources.closeAll();
    expect(resources.open).toBe(0);
  });
  return resources;
}

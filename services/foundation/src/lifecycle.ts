import type { Logger } from './logger';

/** Every component has start() and stop() (style rule 7); main.ts composes them here. */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Called on every started component, at once, before the first stop: readiness turns to `stopping` here, so a
   * load balancer stops sending before anything is stopped.
   */
  stopping?(): void;
}

/**
 * Starts components in order and stops them in reverse, each stop bounded by what is left of one deadline.
 * A failed start stops what already started. `stop()` resolves true only on a clean close, so the
 * process exits 0 only then.
 */
export class Lifecycle {
  private readonly components: Component[] = [];
  private started: Component[] = [];
  private stopping: Promise<boolean> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly stopDeadlineMs: number,
  ) {}

  add(component: Component): this {
    this.components.push(component);
    return this;
  }

  async start(): Promise<void> {
    for (const component of this.components) {
      const t0 = Date.now();
      try {
        await component.start();
      } catch (err) {
        this.logger.error({ component: component.name, err: { name: (err as Error).name, code: (err as { code?: string }).code } }, 'start failed');
        await this.stop();
        throw err;
      }
      this.started.push(component);
      this.logger.info({ component: component.name, ms: Date.now() - t0 }, 'started');
    }
  }

  stop(): Promise<boolean> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  /** Stop has begun (readiness answers `stopping` from here on). */
  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  private async stopAll(): Promise<boolean> {
    for (const component of this.started) component.stopping?.();
    const deadline = Date.now() + this.stopDeadlineMs;
    let clean = true;
    for (const component of [...this.started].reverse()) {
      const left = Math.max(0, deadline - Date.now());
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), left);
      });
      try {
        const outcome = await Promise.race([component.stop().then(() => 'ok' as const), timeout]);
        if (outcome === 'timeout') {
          clean = false;
          this.logger.error({ component: component.name }, 'stop deadline passed');
        } else {
          this.logger.info({ component: component.name }, 'stopped');
        }
      } catch (err) {
        clean = false;
        this.logger.error({ component: component.name, err: { name: (err as Error).name } }, 'stop failed');
      } finally {
        clearTimeout(timer);
      }
    }
    this.started = [];
    return clean;
  }

  /** SIGTERM/SIGINT drain and exit: 0 after a clean stop, 1 otherwise. A second signal exits at once. */
  exitOnSignals(exit: (code: number) => void = (code) => process.exit(code)): void {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        exit(1);
        return;
      }
      signalled = true;
      this.logger.info({ signal }, 'stopping');
      void this.stop().then((clean) => exit(clean ? 0 : 1));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
}

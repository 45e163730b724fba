/**
 * `ampseal probe URL…`: waits until every URL answers 200, for `helm test` and container health checks. The image
 * has no shell and no curl (a smaller attack surface), so the probe ships with the CLI instead.
 *
 * Each URL is asked until it answers 200 or the deadline passes; 503 is a service still starting or paused on a
 * dependency, so every answer but 200 (and every connection error) is retried. The body is printed, never parsed:
 * /readyz names its reasons, which is what an operator reading `helm test --logs` needs.
 */
export interface ProbeOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly write: (line: string) => void;
}

export async function probe(urls: readonly string[], options: ProbeOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (const url of urls) {
    let last = 'no answer';
    for (;;) {
      const left = deadline - Date.now();
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, Math.min(5_000, left))) });
        const body = (await response.text()).trim().slice(0, 500);
        last = `${response.status} ${body}`;
        if (response.status === 200) {
          options.write(`${url}: ${last}`);
          break;
        }
      } catch (err) {
        last = (err as Error).name === 'TimeoutError' ? 'timed out' : `${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`;
      }
      if (Date.now() + options.intervalMs >= deadline) {
        options.write(`${url}: not ready within ${options.timeoutMs / 1000} s (last: ${last})`);
        return false;
      }
      await new Promise((r) => setTimeout(r, options.intervalMs));
    }
  }
  return true;
}

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

const ATTEMPT_TIMEOUT_MS = 5_000;
const NO_ANSWER = 'no answer';

export async function probe(urls: readonly string[], options: ProbeOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (const url of urls) {
    let last = NO_ANSWER;
    for (;;) {
      const left = deadline - Date.now();
      // An attempt is cut at the deadline; the one cut there says nothing about the service, so it does not replace
      // the last real answer (a 503 naming its reasons is what the operator needs to read).
      const cutAtDeadline = left < ATTEMPT_TIMEOUT_MS;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, Math.min(ATTEMPT_TIMEOUT_MS, left))) });
        const body = (await response.text()).trim().slice(0, 500);
        last = `${response.status} ${body}`;
        if (response.status === 200) {
          options.write(`${url}: ${last}`);
          break;
        }
      } catch (err) {
        const timedOut = (err as Error).name === 'TimeoutError';
        if (!timedOut) last = `${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`;
        else if (!cutAtDeadline || last === NO_ANSWER) last = 'timed out';
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

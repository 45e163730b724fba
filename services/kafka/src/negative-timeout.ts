/**
 * kafkajs 2.2.4, its last release, arms its request queue's throttle check with `throttledUntil - Date.now()`
 * (src/network/requestQueue/index.js, scheduleCheckPendingRequests), a negative delay whenever no broker throttles
 * it. Node.js has always run such a timer after 1 ms; since Node.js 23 it also prints a TimeoutNegativeWarning on
 * stderr, once per process, in the middle of a CLI's output. Only that warning raised from inside kafkajs is
 * dropped; any other negative timeout, and every other warning, is reported as before.
 */
export function isKafkajsNegativeTimeout(type: string | undefined, stack: string | undefined): boolean {
  return type === 'TimeoutNegativeWarning' && stack !== undefined && /[\\/]node_modules[\\/]kafkajs[\\/]/.test(stack);
}

let installed = false;

export function ignoreKafkajsNegativeTimeout(): void {
  if (installed) return;
  installed = true;
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0];
    const type = typeof options === 'string' ? options : (options as { type?: string } | undefined)?.type;
    if (isKafkajsNegativeTimeout(type, new Error().stack)) return;
    (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

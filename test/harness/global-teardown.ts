/** Stops containers this run started; a native stack stays up for the next run (`npm run stack:down`). */
export default async function globalTeardown(): Promise<void> {
  const stop = (globalThis as { __ampsealStop?: () => Promise<void> }).__ampsealStop;
  if (stop) await stop();
}

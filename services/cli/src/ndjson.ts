/**
 * NDJSON lines from a byte stream in constant memory: a line longer than `maxBytes` is skipped as it
 * streams (reported with `text: null`), never buffered whole, so a multi-GB file or a runaway line
 * cannot exhaust memory.
 */
export interface Line {
  /** 1-based line number in the input: the `offset` quarantine reports. */
  readonly number: number;
  /** The line's bytes without the newline; null when it exceeded maxBytes. */
  readonly bytes: Buffer | null;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

function isBlank(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== CR) return false;
  }
  return true;
}

export async function* ndjsonLines(input: AsyncIterable<Buffer | string>, maxBytes: number): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let size = 0;
  let overflow = false;
  let number = 0;

  const finish = (): Line | undefined => {
    number++;
    if (overflow) {
      overflow = false;
      return { number, bytes: null };
    }
    let line = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    parts = [];
    size = 0;
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    return isBlank(line) ? undefined : { number, bytes: line };
  };

  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    while (start < buf.length) {
      const nl = buf.indexOf(NEWLINE, start);
      const end = nl === -1 ? buf.length : nl;
      if (!overflow) {
        size += end - start;
        if (size > maxBytes) {
          overflow = true;
          parts = [];
          size = 0;
        } else if (end > start) {
          parts.push(buf.subarray(start, end));
        }
      }
      if (nl === -1) break;
      const line = finish();
      if (line) yield line;
      start = nl + 1;
    }
  }
  if (overflow || size > 0) {
    const line = finish();
    if (line) yield line;
  }
}

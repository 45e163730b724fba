import { Readable } from 'node:stream';
import { ndjsonLines } from './ndjson';

async function collect(chunks: string[], maxBytes = 64) {
  const out: Array<{ number: number; text: string | null }> = [];
  for await (const line of ndjsonLines(Readable.from(chunks.map((c) => Buffer.from(c))), maxBytes)) {
    out.push({ number: line.number, text: line.bytes === null ? null : line.bytes.toString() });
  }
  return out;
}

describe('ndjsonLines', () => {
  it('splits lines across chunk boundaries and numbers them as in the file', async () => {
    expect(await collect(['{"a":1}\n{"b"', ':2}\r\n\n  \n{"c":3}'])).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 2, text: '{"b":2}' },
      { number: 5, text: '{"c":3}' },
    ]);
  });

  it('reports an over-long line without its bytes and goes on with the next', async () => {
    const long = 'x'.repeat(100);
    expect(await collect([`${long.slice(0, 50)}`, `${long.slice(50)}\n{"ok":true}\n`], 64)).toEqual([
      { number: 1, text: null },
      { number: 2, text: '{"ok":true}' },
    ]);
  });
});

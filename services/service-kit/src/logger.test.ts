import { Writable } from 'node:stream';
import { createLogger } from './logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('the root logger redacts record content', () => {
  it('never writes identifiers, tokens or keys, even when a caller passes them', () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'info', name: 'test' }, stream);
    log.info({ idTag: '04A2B3C4D5E6F7', payload: { idTag: '04A2B3C4D5E6F7' }, subject: { value: 'DE8AA123A45B678' } }, 'seen');
    log.info({ batch: { token: 'tok-secret', blindIndex: 'bi-secret', key: 'k-secret' }, records: 3 }, 'batch');
    const out = lines.join('');
    for (const secret of ['04A2B3C4D5E6F7', 'DE8AA123A45B678', 'tok-secret', 'bi-secret', 'k-secret']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('"records":3');
    expect(out).toContain('[redacted]');
  });
});

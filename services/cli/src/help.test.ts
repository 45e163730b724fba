import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMAND_HELP } from './help';
import { main } from './main';
import { CommandError, identifiers } from './subject-requests';

describe('ampseal COMMAND --help', () => {
  it.each(Object.keys(COMMAND_HELP))('%s --help names its flags and the variables it reads, and exits 0', async (command) => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main([command, '--help'])).toBe(0);
      const text = write.mock.calls.map((c) => String(c[0])).join('');
      expect(text).toContain(`ampseal ${command === 'restrict' || command === 'unrestrict' ? 'erase|restrict|unrestrict' : command}`);
      // Every command names what configures it; the probe alone is configured by its arguments only.
      expect(text).toMatch(command === 'probe' ? /reads: no variable/ : /reads: .*AMPSEAL_/);
    } finally {
      write.mockRestore();
    }
  });
});

describe('ampseal --version', () => {
  it('prints the CLI package version and exits 0', async () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['--version'])).toBe(0);
      expect(write.mock.calls.map((c) => String(c[0])).join('')).toBe(`ampseal ${JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).version}\n`);
    } finally {
      write.mockRestore();
    }
  });
});

describe('--ids-from FILE: identifiers out of shell history and the process list', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ampseal-ids-'));

  it('reads one KIND:VALUE per line, skipping comments and blank lines, after the --id values', () => {
    const file = join(dir, 'ids.txt');
    writeFileSync(file, '# the person of ticket 42\nuid:04A2B3C4\n\nemaid:NL-TNM-C00122045-K\r\n');
    expect(identifiers(['vehicle:VID:92D50A693F80'], file)).toEqual([
      { kind: 'vehicle', value: 'VID:92D50A693F80' },
      { kind: 'uid', value: '04A2B3C4' },
      { kind: 'emaid', value: 'NL-TNM-C00122045-K' },
    ]);
  });

  it('names the line of a malformed entry, never its value', () => {
    const file = join(dir, 'bad.txt');
    writeFileSync(file, 'uid:04A2B3C4\nSECRET-WITHOUT-KIND\n');
    const error = (() => {
      try {
        identifiers(undefined, file);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CommandError);
    expect(error!.message).toBe('identifier 2: expected KIND:VALUE');
  });

  it('says which source could not be read, and that one is needed at all', () => {
    expect(() => identifiers(undefined, join(dir, 'missing.txt'))).toThrow('--ids-from: cannot read the file (ENOENT)');
    expect(() => identifiers(undefined)).toThrow('--id KIND:VALUE or --ids-from FILE|- is required');
  });
});

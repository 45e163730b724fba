import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The vendored OCA schemas must stay verbatim copies of shared/reference (CC BY-ND 4.0: no modified versions may
 * be shared; quirks are handled in code). Compared byte for byte, CRLF line endings included.
 */
const REPO_ROOT = path.resolve(__dirname, '../../../..');
const VENDOR = path.join(REPO_ROOT, 'schemas/vendor');
const REFERENCE = path.resolve(REPO_ROOT, '../shared/reference');
const FOLDERS = ['ocpp16', 'ocpp201'];

function filesUnder(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, dir)).sort()) {
    const relative = path.join(dir, name);
    if (statSync(path.join(root, relative)).isDirectory()) out.push(...filesUnder(root, relative));
    else out.push(relative);
  }
  return out;
}

const haveReference = existsSync(REFERENCE);
if (!haveReference) {
  console.warn(`skipping the vendored-schema comparison: ${REFERENCE} is absent (../shared/reference beside the repo)`);
}

(haveReference ? describe : describe.skip)(
  `schemas/vendor is byte-identical to ${haveReference ? '../shared/reference' : '../shared/reference (skipped: absent)'}`,
  () => {
    test.each(FOLDERS)('%s holds the same files', (folder) => {
      expect(filesUnder(path.join(VENDOR, folder))).toEqual(filesUnder(path.join(REFERENCE, folder)));
    });

    test.each(FOLDERS)('every file under %s has the same bytes', (folder) => {
      const files = filesUnder(path.join(VENDOR, folder));
      expect(files.length).toBeGreaterThan(0);
      const differing = files.filter(
        (file) => !readFileSync(path.join(VENDOR, folder, file)).equals(readFileSync(path.join(REFERENCE, folder, file))),
      );
      expect(differing).toEqual([]);
    });

    test('the three OCA folders hold 56 + 22 + 128 schema files', () => {
      expect(filesUnder(path.join(VENDOR, 'ocpp16/schemas'))).toHaveLength(56);
      expect(filesUnder(path.join(VENDOR, 'ocpp16/security-extension-schemas'))).toHaveLength(22);
      expect(filesUnder(path.join(VENDOR, 'ocpp201/schemas'))).toHaveLength(128);
    });
  },
);

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The vendored reference files must stay verbatim copies of the official ones (CC BY-ND 4.0: no modified versions
 * may be shared; quirks are handled in code). Compared byte for byte, CRLF line endings included, against the
 * project's reference folder `../shared/reference` beside the repository: the one test that reads outside the
 * repository, and it skips (never fails) in a plain clone, where that folder does not exist.
 */
const REPO_ROOT = path.resolve(__dirname, '../../../..');
const VENDOR = path.join(REPO_ROOT, 'schemas/vendor');
const OCPI_COPIES = path.join(REPO_ROOT, 'services/core/src/__fixtures__/reference');
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
  console.warn(
    `skipping the byte-for-byte comparison of the vendored reference files: ${REFERENCE} is absent ` +
      '(it only exists beside the repository on the project machine; the tests use the vendored copies)',
  );
}

describe('the vendored copies are present in the repository', () => {
  test('the three OCA folders hold 56 + 22 + 128 schema files', () => {
    expect(filesUnder(path.join(VENDOR, 'ocpp16/schemas'))).toHaveLength(56);
    expect(filesUnder(path.join(VENDOR, 'ocpp16/security-extension-schemas'))).toHaveLength(22);
    expect(filesUnder(path.join(VENDOR, 'ocpp201/schemas'))).toHaveLength(128);
  });

  test('the OCPI copies hold 9 examples and 6 spec files, with the attribution README', () => {
    expect(filesUnder(path.join(OCPI_COPIES, 'ocpi221/examples'))).toHaveLength(9);
    expect(filesUnder(path.join(OCPI_COPIES, 'ocpi221/spec'))).toHaveLength(6);
    expect(readFileSync(path.join(OCPI_COPIES, 'README.md'), 'utf8')).toContain('Attribution-NoDerivatives 4.0');
  });
});

(haveReference ? describe : describe.skip)(
  `vendored reference files are byte-identical to ${haveReference ? '../shared/reference' : '../shared/reference (skipped: absent)'}`,
  () => {
    test.each(FOLDERS)('schemas/vendor/%s holds the same files', (folder) => {
      expect(filesUnder(path.join(VENDOR, folder))).toEqual(filesUnder(path.join(REFERENCE, folder)));
    });

    test.each(FOLDERS)('every file under schemas/vendor/%s has the same bytes', (folder) => {
      const files = filesUnder(path.join(VENDOR, folder));
      expect(files.length).toBeGreaterThan(0);
      const differing = files.filter(
        (file) => !readFileSync(path.join(VENDOR, folder, file)).equals(readFileSync(path.join(REFERENCE, folder, file))),
      );
      expect(differing).toEqual([]);
    });

    test('every vendored OCPI example and spec file has the same bytes as the original', () => {
      const files = filesUnder(path.join(OCPI_COPIES, 'ocpi221'));
      expect(files.length).toBeGreaterThan(0);
      const differing = files.filter(
        (file) => !readFileSync(path.join(OCPI_COPIES, 'ocpi221', file)).equals(readFileSync(path.join(REFERENCE, 'ocpi221', file))),
      );
      expect(differing).toEqual([]);
    });
  },
);

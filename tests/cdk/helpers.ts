// Shared by the CDK tests: stand-in build outputs, so the tests do not
// depend on scripts/build.sh having run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FUNCTIONS, PYTHON_FUNCTIONS } from '../../lambdamodule/infrastructure';
import { LAYERS, PYTHON_LAYERS } from '../../layers/infrastructure';

export const ALL_ZIPS: readonly string[] = [...LAYERS, ...FUNCTIONS, ...PYTHON_LAYERS, ...PYTHON_FUNCTIONS].map(
  (spec) => spec.zip,
);

/** A new empty temporary directory, removed when the process exits. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// An empty zip archive whose comment is `comment`: a valid zip, and each
// one has different bytes, so each gets its own asset.
export function emptyZip(comment: string): Buffer {
  const text = Buffer.from(comment, 'utf8');
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(text.length, 20);
  return Buffer.concat([eocd, text]);
}

/** A build directory like scripts/build.sh writes, holding `zips` (default: all of them). */
export function fakeBuildDir(zips: readonly string[] = ALL_ZIPS): string {
  const dir = tempDir('cdk-build');
  for (const zip of zips) {
    fs.mkdirSync(path.dirname(path.join(dir, zip)), { recursive: true });
    fs.writeFileSync(path.join(dir, zip), emptyZip(zip));
  }
  return dir;
}

import { parseArgs } from 'node:util';
import { compareVersions, formatVersion, parseVersion } from '../core/pep440.js';
import type { Version } from '../core/pep440.js';
import { EXIT_INVALID, EXIT_OK, inputsFrom, quote } from './io.js';
import type { CliIo } from './io.js';

export const VERSION_USAGE = `usage: pyrelease version [--json] [--sort] [VERSION...]

Validates and normalizes PEP 440 versions, exactly as pypa/packaging does.
With no VERSION, reads one per line from standard input.

  --json   one JSON object per input: {"input", "valid", "normalized"}
  --sort   print the valid inputs in PEP 440 order (ties keep input order)

Exit status: 0 when every input is valid, 1 when any is not, 2 on usage errors.
`;

interface Row {
  readonly input: string;
  readonly version: Version | null;
  readonly normalized: string | null;
}

export async function versionCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { json: { type: 'boolean', default: false }, sort: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const rows: Row[] = (await inputsFrom(positionals, io)).map((input) => {
    const version = parseVersion(input);
    return { input, version, normalized: version === null ? null : formatVersion(version) };
  });
  const shown = values.sort ? sortValid(rows) : rows;

  const out: string[] = [];
  const errors: string[] = [];
  for (const row of shown) {
    if (values.json) {
      out.push(JSON.stringify({ input: row.input, valid: row.version !== null, normalized: row.normalized }));
    } else if (row.normalized !== null) {
      out.push(row.normalized);
    }
  }
  for (const row of rows) {
    if (row.version === null && !values.json) errors.push(`pyrelease: invalid PEP 440 version: ${quote(row.input)}`);
  }
  if (out.length > 0) io.out(out.join('\n') + '\n');
  if (errors.length > 0) io.err(errors.join('\n') + '\n');
  return rows.every((r) => r.version !== null) ? EXIT_OK : EXIT_INVALID;
}

function sortValid(rows: readonly Row[]): Row[] {
  const valid = rows.filter((r): r is Row & { version: Version } => r.version !== null);
  // Array.prototype.sort is stable, so equal versions (1.0, 1.0.0) keep input order.
  return valid.sort((a, b) => compareVersions(a.version, b.version));
}

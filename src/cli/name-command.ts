import { parseArgs } from 'node:util';
import { canonicalizeName, isValidProjectName } from '../core/names.js';
import { EXIT_INVALID, EXIT_OK, inputsFrom, quote } from './io.js';
import type { CliIo } from './io.js';

export const NAME_USAGE = `usage: pyrelease name [--json] [NAME...]

Validates Python project names (core metadata) and prints their PEP 503 normalized
form. With no NAME, reads one per line from standard input.

  --json   one JSON object per input: {"input", "valid", "normalized"}

Exit status: 0 when every input is valid, 1 when any is not, 2 on usage errors.
`;

export async function nameCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { json: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const inputs = await inputsFrom(positionals, io);
  const out: string[] = [];
  const errors: string[] = [];
  let allValid = true;
  for (const input of inputs) {
    const valid = isValidProjectName(input);
    allValid &&= valid;
    const normalized = valid ? canonicalizeName(input) : null;
    if (values.json) out.push(JSON.stringify({ input, valid, normalized }));
    else if (normalized !== null) out.push(normalized);
    else errors.push(`pyrelease: invalid project name: ${quote(input)}`);
  }
  if (out.length > 0) io.out(out.join('\n') + '\n');
  if (errors.length > 0) io.err(errors.join('\n') + '\n');
  return allValid ? EXIT_OK : EXIT_INVALID;
}

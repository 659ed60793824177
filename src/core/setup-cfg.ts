// A small INI reader for setup.cfg, close enough to Python's configparser as setuptools
// uses it: `[section]` headers, `key = value` or `key: value` (split at the first `=` or
// `:`), keys lowercased, full-line comments starting with `#` or `;`, no inline comments,
// and indented continuation lines joined with a newline. Errors are values.

export type IniSections = ReadonlyMap<string, ReadonlyMap<string, string>>;

export interface IniProblem {
  readonly line: number;
  readonly message: string;
}

export interface IniResult {
  readonly sections: IniSections;
  readonly problems: readonly IniProblem[];
}

const SECTION = /^\[([^\]]+)\]\s*$/;
const OPTION = /^(.*?)\s*([=:])\s*(.*)$/;

export function parseIni(text: string): IniResult {
  const sections = new Map<string, Map<string, string>>();
  const problems: IniProblem[] = [];
  let current: Map<string, string> | null = null;
  let lastKey: string | null = null;
  let keyIndent = 0;

  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    // Like configparser (empty_lines_in_values), a blank or comment line does not end a
    // multi-line value: the next indented line still continues it.
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    // As configparser: a line continues the value when it is indented deeper than the
    // line that set the option.
    const indent = raw.length - raw.trimStart().length;
    if (indent > keyIndent && current !== null && lastKey !== null) {
      const before = current.get(lastKey) ?? '';
      current.set(lastKey, before === '' ? trimmed : `${before}\n${trimmed}`);
      return;
    }
    const header = SECTION.exec(trimmed);
    if (header !== null) {
      const name = header[1] ?? '';
      current = sections.get(name) ?? new Map<string, string>();
      sections.set(name, current);
      lastKey = null;
      return;
    }
    const option = OPTION.exec(trimmed);
    if (option === null || (option[1] ?? '') === '') {
      problems.push({ line, message: `line ${line} is neither a [section], an option nor a comment` });
      return;
    }
    if (current === null) {
      problems.push({ line, message: `line ${line} sets an option before any [section] header` });
      return;
    }
    lastKey = (option[1] ?? '').toLowerCase();
    keyIndent = indent;
    current.set(lastKey, option[3] ?? '');
  });
  return { sections, problems };
}

export type SetupCfgVersion =
  | { kind: 'static'; version: string }
  | { kind: 'dynamic'; provider: 'attr' | 'file'; detail: string }
  | { kind: 'missing' };

export interface SetupCfgFacts {
  readonly name: string | null;
  readonly version: SetupCfgVersion;
  readonly requiresPython: string | null;
  /** `[options] package_dir`: package name ('' for the root) -> directory. */
  readonly packageDir: ReadonlyMap<string, string>;
  readonly problems: readonly IniProblem[];
}

/** `[metadata] name/version` and `[options] python_requires` from setup.cfg text. */
export function readSetupCfg(text: string): SetupCfgFacts {
  const { sections, problems } = parseIni(text);
  const metadata = sections.get('metadata');
  const name = nonEmpty(metadata?.get('name'));
  const rawVersion = nonEmpty(metadata?.get('version'));
  const requiresPython = nonEmpty(sections.get('options')?.get('python_requires'));
  const packageDir = readPackageDir(sections.get('options')?.get('package_dir'));
  return { name, version: setupCfgVersion(rawVersion), requiresPython, packageDir, problems };
}

// `package_dir = =src` or one `name = dir` per line (setuptools' dict-list syntax).
function readPackageDir(raw: string | undefined): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const entry of (raw ?? '').split(/[\n,]/)) {
    const eq = entry.indexOf('=');
    if (eq < 0) continue;
    out.set(entry.slice(0, eq).trim(), entry.slice(eq + 1).trim());
  }
  return out;
}

// setuptools' directives: `attr: pkg.__version__` and `file: VERSION` (comma-separated
// file list). Anything else is the version itself.
function setupCfgVersion(raw: string | null): SetupCfgVersion {
  if (raw === null) return { kind: 'missing' };
  const directive = /^(attr|file)\s*:\s*(.*)$/s.exec(raw);
  if (directive !== null) {
    const provider = directive[1] === 'attr' ? 'attr' : 'file';
    return { kind: 'dynamic', provider, detail: (directive[2] ?? '').trim() };
  }
  return { kind: 'static', version: raw };
}

function nonEmpty(value: string | undefined): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * A small Dockerfile reader for tests that run without a Docker engine: instructions
 * with continuation lines joined, comments and parser directives dropped, grouped by
 * stage. Enough for this repository's Dockerfile (default escape character `\`,
 * no heredocs); it throws on what it does not understand rather than guess.
 */
export interface Instruction {
  readonly keyword: string;
  /** The arguments as written, continuation lines joined with one space. */
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly from: string;
  readonly name: string | null;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM (usable in FROM lines) with their defaults. */
  readonly globalArgs: Readonly<Record<string, string>>;
  readonly stages: readonly Stage[];
}

export function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  let pending: { start: number; parts: string[] } | null = null;
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    // Comments (and blank lines) inside a continued instruction are skipped, as BuildKit does.
    if (trimmed.startsWith('#') || trimmed === '') return;
    if (trimmed.includes('<<') && /^(RUN|COPY|ADD)\b/i.test(trimmed)) throw new Error(`heredocs are not supported (line ${index + 1})`);
    const continued = /\\\s*$/.test(line);
    const body = continued ? line.replace(/\\\s*$/, '') : line;
    if (pending === null) pending = { start: index + 1, parts: [] };
    pending.parts.push(body.trim());
    if (!continued) {
      const joined = pending.parts.filter((p) => p !== '').join(' ');
      const match = /^(\S+)\s*(.*)$/.exec(joined);
      if (match === null) throw new Error(`cannot read line ${pending.start}`);
      out.push({ keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '', line: pending.start });
      pending = null;
    }
  });
  if (pending !== null) throw new Error('the Dockerfile ends inside a continued instruction');
  return out;
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Array<{ from: string; name: string | null; instructions: Instruction[] }> = [];
  for (const ins of parseInstructions(text)) {
    if (ins.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (match === null) throw new Error(`cannot read FROM on line ${ins.line}`);
      stages.push({ from: substitute(match[1] ?? '', globalArgs), name: match[2] ?? null, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`${ins.keyword} before the first FROM on line ${ins.line}`);
      const [key, value] = splitAssignment(ins.args);
      globalArgs[key] = value;
    } else {
      stages[stages.length - 1]?.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

function splitAssignment(text: string): [string, string] {
  const at = text.indexOf('=');
  return at === -1 ? [text.trim(), ''] : [text.slice(0, at).trim(), text.slice(at + 1).trim().replace(/^"(.*)"$/, '$1')];
}

function substitute(text: string, args: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => args[a ?? b ?? ''] ?? '');
}

/** Exec form (a JSON array) or shell form, as words. */
export function execArgs(args: string): string[] {
  const trimmed = args.trim();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as string[];
  return trimmed.split(/\s+/);
}

/** `KEY=value KEY2="v 2"` pairs, as written by ENV and LABEL. */
export function keyValues(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) out[m[1] ?? ''] = (m[2] ?? '').replace(/^"(.*)"$/, '$1');
  return out;
}

/** The packages of every `apt-get install` in a RUN instruction. */
export function aptPackages(run: string): string[] {
  const out: string[] = [];
  for (const command of run.split(/&&|;|\|\|/)) {
    const words = command.trim().split(/\s+/).filter((w) => !/^\w+=/.test(w));
    const at = words.findIndex((w, i) => w === 'install' && words[i - 1] === 'apt-get');
    if (at === -1) continue;
    out.push(...words.slice(at + 1).filter((w) => !w.startsWith('-')));
  }
  return out;
}

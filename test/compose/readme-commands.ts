import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What README.md's "Running it in production" tells a Compose user to do, read from it,
 * so that the suite runs those commands and no others: the shell lines that make .env,
 * the override file that mounts the server config file, and the compose commands.
 */
export interface ReadmeCompose {
  /** The other lines of the blocks that hold compose commands (`cp .env.example .env`, `echo ... >> .env`), in order. */
  readonly setup: readonly string[];
  /** `docker compose <args>` lines and spans, as argument lists without `docker compose`. */
  readonly commands: ReadonlyArray<readonly string[]>;
  /** The YAML block: the contents of docker-compose.override.yml. */
  readonly override: string;
}

const root = join(import.meta.dirname, '..', '..');

export function readmeCompose(text = readFileSync(join(root, 'README.md'), 'utf8')): ReadmeCompose {
  const start = text.indexOf('\n## Running it in production');
  if (start < 0) throw new Error('README.md has no "Running it in production" section');
  const rest = text.slice(start + 1);
  const end = rest.search(/\n#{2,3} /);
  const section = end < 0 ? rest : rest.slice(0, end);
  const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2] ?? '' }));

  const setup: string[] = [];
  const commands: string[][] = [];
  const compose = (line: string): string[] | null => {
    const m = /^docker compose ([^#`]*?)\s*(#.*)?$/.exec(line.trim());
    return m === null ? null : (m[1] ?? '').split(/\s+/).filter((a) => a !== '');
  };
  // The Compose block(s) only: the section also shows `docker run` without Compose.
  for (const block of blocks.filter((b) => b.lang === 'sh' && /^docker compose /m.test(b.body))) {
    for (const line of block.body.split('\n').filter((l) => l.trim() !== '')) {
      const args = compose(line);
      if (args === null) setup.push(line);
      else commands.push(args);
    }
  }
  // Commands named in the prose: `docker compose down`.
  for (const m of section.matchAll(/`(docker compose [^`]+)`/g)) {
    const args = compose(m[1] ?? '');
    if (args !== null && !commands.some((c) => c.join(' ') === args.join(' '))) commands.push(args);
  }
  const override = blocks.find((b) => b.lang === 'yaml')?.body;
  if (override === undefined || !section.includes('docker-compose.override.yml')) {
    throw new Error('README.md\'s production section shows no docker-compose.override.yml');
  }
  return { setup, commands, override };
}

/** The README's command for `verb` (up, down), exactly one. */
export function commandFor(readme: ReadmeCompose, verb: string): readonly string[] {
  const found = readme.commands.filter((c) => c[0] === verb);
  if (found.length !== 1) throw new Error(`README.md gives ${found.length} \`docker compose ${verb}\` commands, expected exactly one: ${JSON.stringify(readme.commands)}`);
  return found[0] as readonly string[];
}

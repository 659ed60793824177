import { readFile } from 'node:fs/promises';

/** The one list of the Debian packages a worker needs (the image installs it too); shipped beside dist/. */
const RUNTIME_LIST = new URL('../../system-packages/runtime.txt', import.meta.url);

/** The packages of a list: one per line, `#` starts a comment. */
export function parsePackageList(text: string): string[] {
  return text.split('\n').map((line) => line.replace(/#.*/, '').trim()).filter((line) => line !== '');
}

/** system-packages/runtime.txt's packages; null where it is not shipped. */
export async function runtimePackages(file: URL | string = RUNTIME_LIST): Promise<string[] | null> {
  return readFile(file, 'utf8').then(parsePackageList, () => null);
}

/** The command that installs `packages`: with sudo for a worker that is not root. */
export function aptInstallLine(packages: readonly string[], euid: number): string {
  return `${euid === 0 ? '' : 'sudo '}apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

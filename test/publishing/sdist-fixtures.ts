import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join, normalize } from 'node:path';

/**
 * A PEP 503 index on disk, served over HTTP on loopback (pip and the worker's own
 * sdist fetch read it as they read any https index), holding in-house backends as
 * wheels and build requirements that exist only as sdists.
 */

/** The release's backend: it records what the sdist-built requirement reported, if it is installed. */
export const RELEASE_BACKEND = String.raw`
import os, zipfile

def get_requires_for_build_sdist(config_settings=None):
    return []

def get_requires_for_build_wheel(config_settings=None):
    return []

def _report():
    try:
        import sdist_dep
        return sdist_dep.REPORT
    except ImportError:
        return "no sdist_dep"

def build_sdist(sdist_directory, config_settings=None):
    import tarfile
    base = "demo_sd-1.0.0"
    with tarfile.open(os.path.join(sdist_directory, base + ".tar.gz"), "w:gz") as t:
        for f in ("pyproject.toml", "demo_sd.py"):
            t.add(f, arcname=base + "/" + f)
    return base + ".tar.gz"

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = "demo_sd-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        z.write("demo_sd.py", "demo_sd.py")
        d = "demo_sd-1.0.0.dist-info/"
        z.writestr(d + "METADATA", "Metadata-Version: 2.1\nName: demo-sd\nVersion: 1.0.0\nSummary: %s\n" % _report())
        z.writestr(d + "WHEEL", "Wheel-Version: 1.0\nGenerator: releaseback\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(d + "RECORD", "")
    return name
`;

/**
 * The backend the sdists name: build_wheel runs the sdist's setup.py (its own code,
 * which says what goes into the wheel). Without prepare_metadata_for_build_wheel, pip
 * asks build_wheel for metadata too.
 */
export const SDIST_BACKEND = String.raw`
import os, runpy, zipfile

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    ns = runpy.run_path("setup.py")
    name, version = ns["NAME"], ns["VERSION"]
    wheel = "%s-%s-py3-none-any.whl" % (ns.get("WHEEL_NAME", name), version)
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as z:
        for path, text in ns["FILES"].items():
            z.writestr(path, text)
        d = "%s-%s.dist-info/" % (name, version)
        z.writestr(d + "METADATA", "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version))
        z.writestr(d + "WHEEL", "Wheel-Version: 1.0\nGenerator: sdback\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(d + "RECORD", "")
    return wheel
`;

/** setup.py of sdist-dep: what it saw while building goes into the module it ships. */
export function reportingSetupPy(port: number): string {
  return String.raw`
import os, socket
def _network():
    try:
        socket.create_connection(("127.0.0.1", ${port}), timeout=2)
        return "reachable"
    except OSError:
        return "unreachable"
NAME, VERSION = "sdist_dep", "1.0"
FILES = {"sdist_dep.py": "REPORT = %r\n" % ("network %s uid %d" % (_network(), os.getuid()))}
`;
}

/** setup.py of an sdist that tries to leave a file where a build may not write. */
export function hostileSetupPy(name: string, markers: readonly string[], wheelName = name): string {
  return String.raw`
for path in ${JSON.stringify(markers)}:
    try:
        with open(path, "w") as f:
            f.write("written by a build requirement's setup.py")
    except OSError:
        pass
NAME, VERSION, WHEEL_NAME = ${JSON.stringify(name)}, "1.0", ${JSON.stringify(wheelName)}
FILES = {${JSON.stringify(`${name}.py`)}: "X = 1\n"}
`;
}

const MAKE_WHEEL = String.raw`
import sys, zipfile
path, name, module_source = sys.argv[1], sys.argv[2], sys.argv[3]
with zipfile.ZipFile(path, "w") as z:
    z.writestr(name + ".py", module_source)
    d = "%s-1.0.dist-info/" % name
    z.writestr(d + "METADATA", "Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n" % name)
    z.writestr(d + "WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    z.writestr(d + "RECORD", "")
`;

export class DiskIndex {
  constructor(readonly dir: string) {}

  /** Writes files/<filename> and lists it on the project's page with its sha256 (or `sha256`, to lie). */
  async add(project: string, filename: string, content: Buffer, sha256?: string): Promise<void> {
    await mkdir(join(this.dir, 'files'), { recursive: true });
    await writeFile(join(this.dir, 'files', filename), content);
    const pageDir = join(this.dir, 'simple', project);
    await mkdir(pageDir, { recursive: true });
    const hash = sha256 ?? createHash('sha256').update(content).digest('hex');
    const link = `<a href="../../files/${filename}#sha256=${hash}">${filename}</a>\n`;
    const old = await readFile(join(pageDir, 'index.html'), 'utf8').catch(() => '');
    await writeFile(join(pageDir, 'index.html'), old + link);
  }

  async addWheel(name: string, moduleSource: string): Promise<void> {
    const tmp = join(this.dir, `${name}.tmp.whl`);
    await mkdir(this.dir, { recursive: true });
    execFileSync('/usr/bin/python3', ['-c', MAKE_WHEEL, tmp, name, moduleSource]);
    await this.add(name, `${name}-1.0-py3-none-any.whl`, readFileSync(tmp));
  }

  /** An sdist built by `sdback` from the given setup.py. */
  async addSdist(project: string, setupPy: string, sha256?: string): Promise<void> {
    const base = `${project.replaceAll('-', '_')}-1.0`;
    const tree = join(this.dir, 'trees', base);
    await mkdir(tree, { recursive: true });
    await writeFile(join(tree, 'pyproject.toml'), '[build-system]\nrequires = ["sdback==1.0"]\nbuild-backend = "sdback"\n');
    await writeFile(join(tree, 'setup.py'), setupPy);
    await writeFile(join(tree, 'PKG-INFO'), `Metadata-Version: 2.1\nName: ${project}\nVersion: 1.0\n`);
    const archive = join(this.dir, 'trees', `${base}.tar.gz`);
    execFileSync('tar', ['-C', join(this.dir, 'trees'), '-czf', archive, base]);
    await this.add(project, `${base}.tar.gz`, readFileSync(archive), sha256);
  }

  /** Serves the directory over HTTP on loopback; the simple index is at `${url}simple/`. */
  async serve(): Promise<{ server: Server; url: string }> {
    const server = createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      if (path.includes('..')) return void res.writeHead(400).end();
      const file = path.endsWith('/') ? join(this.dir, path, 'index.html') : join(this.dir, path);
      readFile(file).then(
        (body) => res.writeHead(200, { 'content-type': file.endsWith('.html') ? 'text/html' : 'application/octet-stream' }).end(body),
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return { server, url: `http://127.0.0.1:${address.port}/` };
  }
}

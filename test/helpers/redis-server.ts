import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private redis-server on a free loopback port, with the append-only file on, as a
 * production Redis behind a job queue runs: jobs must survive a restart. Tests that
 * stop or restart Redis use this one, never the machine's Redis on 6379.
 */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** SHUTDOWN: Redis flushes the AOF and exits. */
  stop(): Promise<void>;
  /** SIGKILL: Redis dies at once, as in a crash or an OOM kill; what it had not written is gone. */
  kill(): Promise<void>;
  /** Starts again on the same port and dir, so the AOF is read back. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops it for good and removes its dir. */
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `always` fsyncs before every reply; `everysec` is what docker-compose.yml runs. */
export type AppendFsync = 'always' | 'everysec';

function launch(port: number, dir: string, appendfsync: AppendFsync): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', appendfsync, '--dir', dir, '--loglevel', 'notice'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server on ${port} did not start:\n${out}`));
    }, 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited with ${code}:\n${out}`));
    });
  });
}

/** SHUTDOWN through redis-cli (Redis fsyncs the AOF and exits), SIGKILL if it lingers. */
function stopChild(child: ChildProcess | null, port: number): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'shutdown'], { stdio: 'ignore' }).once('error', () => child.kill('SIGTERM'));
  });
}

export async function startPrivateRedis(options: { appendfsync?: AppendFsync } = {}): Promise<PrivateRedis> {
  const appendfsync = options.appendfsync ?? 'always';
  const dir = await mkdtemp(join(tmpdir(), 'pyrelease-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = await launch(port, dir, appendfsync);
  const self: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async stop() {
      await stopChild(child, port);
      child = null;
    },
    async kill() {
      const dying = child;
      child = null;
      if (dying === null || dying.exitCode !== null || dying.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        dying.once('exit', () => resolve());
        dying.kill('SIGKILL');
      });
    },
    async start() {
      if (child === null) child = await launch(port, dir, appendfsync);
    },
    async restart() {
      await self.stop();
      await self.start();
    },
    async close() {
      await self.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
}

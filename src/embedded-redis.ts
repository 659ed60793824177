import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { AppError } from './errors.js';

/**
 * A private redis-server for the one-command start (`npm start` with no REDIS_URL and
 * nothing on 127.0.0.1:6379): the queue's jobs and the release ledger must survive a
 * restart, so it keeps an append-only file in PYRELEASE_DATA_DIR/redis. It listens on
 * a free loopback port (not 6379, so a system Redis installed later does not clash);
 * redis-url.ts records that port for the other commands.
 *
 * It asks for a password generated at each start: a loopback port is open to every
 * process of the machine, and a build's setup.py once reached the worker's Redis on
 * loopback and wrote a job into it (issue 14). The password reaches redis-server on its
 * stdin, never its command line (which `ps` shows every user), and lives only in the
 * URL (0600, in a 0700 dir; redis-url.ts) and in memory.
 */
export interface EmbeddedRedis {
  /** redis://:PASSWORD@127.0.0.1:PORT: holds the password, so log redactRedisUrl(url) instead. */
  readonly url: string;
  readonly port: number;
  readonly password: string;
  readonly pid: number;
  /** Redis's own dir: the append-only files live here. */
  readonly dir: string;
  /** Settles only when redis-server exits without stop() having been asked for. */
  readonly died: Promise<RedisExit>;
  /** SHUTDOWN (Redis flushes the AOF), then SIGKILL after timeoutMs. Idempotent. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface RedisExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** The last lines redis-server printed: why it died. */
  readonly output: string;
}

export interface EmbeddedRedisOptions {
  readonly binary: string;
  readonly dir: string;
  readonly startTimeoutMs?: number;
}

/** The redis-server binary on PATH (or in the sbin directories PATH of a non-root user lacks), or null. */
export function findRedisServer(env: Readonly<Record<string, string | undefined>>): string | null {
  const dirs = [...(env['PATH'] ?? '').split(delimiter).filter((d) => d !== ''), '/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => server.once('error', fail).listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

const command = (args: readonly string[]): string => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/**
 * Sends one command (after AUTH when a password is given) and reads its reply. Enough
 * for PING, SHUTDOWN and CONFIG GET checks without a client library's reconnect logic;
 * null means nothing answered in time (refused, closed, or silent). With a password the
 * reply is the command's, or AUTH's error when AUTH was refused.
 */
export function redisCall(port: number, args: readonly string[], timeoutMs = 1000, host = '127.0.0.1', password?: string): Promise<string | null> {
  const payload = (password === undefined ? '' : command(['AUTH', password])) + command(args);
  return new Promise((done) => {
    let data = '';
    const socket = createConnection({ host, port });
    // The reply to the command: the second one after an AUTH that succeeded.
    const reply = (): string | null => {
      const first = replyEnd(data, 0);
      if (first === -1) return null;
      if (password === undefined || data.startsWith('-')) return data.slice(0, first);
      const second = replyEnd(data, first);
      return second === -1 ? null : data.slice(first, second);
    };
    const finish = (value: string | null): void => {
      socket.destroy();
      done(value === null ? null : Buffer.from(value, 'latin1').toString('utf8'));
    };
    const partial = (): void => finish(data === '' ? null : (reply() ?? data));
    socket.setTimeout(timeoutMs, partial);
    socket.on('error', partial);
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const complete = reply();
      if (complete !== null) finish(complete);
    });
    socket.on('close', partial);
  });
}

/** Index just past the first complete RESP2 reply in data, or -1 while it is incomplete. */
function replyEnd(data: string, at: number): number {
  const eol = data.indexOf('\r\n', at);
  if (eol === -1) return -1;
  const type = data[at];
  const n = Number(data.slice(at + 1, eol));
  if (type === '$') {
    // data is latin1, one character per byte, so RESP's byte lengths are string lengths.
    if (n < 0) return eol + 2;
    const end = eol + 2 + n + 2;
    return data.length >= end ? end : -1;
  }
  if (type === '*') {
    let next = eol + 2;
    for (let i = 0; i < n; i += 1) {
      next = replyEnd(data, next);
      if (next === -1) return -1;
    }
    return next;
  }
  return eol + 2;
}

/** True when a Redis answers PING; a NOAUTH error also means a Redis is there. */
export async function redisAnswers(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  const reply = await redisCall(port, ['PING'], timeoutMs, host);
  return reply !== null && (reply.startsWith('+PONG') || reply.startsWith('-NOAUTH') || reply.startsWith('-WRONGPASS'));
}

export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir leaves an existing dir's mode as it was: the AOF and the URL file are private.
  await chmod(dir, 0o700);
  // Hex: safe in a URL's userinfo and in a redis.conf line without quoting.
  const password = randomBytes(32).toString('hex');
  // A free port can be taken between the probe and redis-server's bind: try a few.
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      return await launch(options.binary, dir, await freeLoopbackPort(), password, options.startTimeoutMs ?? 15_000);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError instanceof AppError ? lastError : new AppError('config-invalid', `cannot start redis-server: ${String(lastError)}`);
}

function launch(binary: string, dir: string, port: number, password: string, startTimeoutMs: number): Promise<EmbeddedRedis> {
  // `-` first: the rest of the configuration (requirepass) is read from stdin.
  const args = [
    '-', '--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes',
    '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
    // BullMQ requires that Redis never evicts its keys.
    '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--logfile', '', '--loglevel', 'notice',
  ];
  // Its own process group: a Ctrl-C in the terminal reaches only pyrelease, which keeps
  // Redis up until the running jobs are finished, then stops it.
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdin.on('error', () => undefined);
  child.stdin.end(`requirepass ${password}\n`);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).split('\n').slice(-30).join('\n');
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let stopping = false;
  let exited = false;
  const exit = new Promise<RedisExit>((done) => {
    child.once('exit', (code, signal) => {
      exited = true;
      done({ code, signal, output });
    });
    child.once('error', (error) => {
      exited = true;
      done({ code: null, signal: null, output: `${output}\n${error.message}` });
    });
  });
  const died = new Promise<RedisExit>((done) => void exit.then((e) => (stopping ? undefined : done(e))));
  // A pyrelease that exits without stopping it (process.exit, a crash) takes it along.
  const onProcessExit = (): void => void child.kill('SIGTERM');
  process.once('exit', onProcessExit);

  const stop = async (timeoutMs = 5000): Promise<void> => {
    stopping = true;
    process.removeListener('exit', onProcessExit);
    if (exited) return;
    await redisCall(port, ['SHUTDOWN'], timeoutMs, '127.0.0.1', password);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exit;
    clearTimeout(timer);
  };

  return new Promise((done, fail) => {
    const deadline = Date.now() + startTimeoutMs;
    const poll = async (): Promise<void> => {
      if (exited) {
        process.removeListener('exit', onProcessExit);
        fail(new AppError('config-invalid', `redis-server exited while starting:\n${(await exit).output}`));
        return;
      }
      // Answering with our password: not some other Redis that took the port meanwhile.
      if ((await redisCall(port, ['PING'], 500, '127.0.0.1', password)) === '+PONG\r\n') {
        done({ url: `redis://:${password}@127.0.0.1:${port}`, port, password, pid: child.pid ?? -1, dir, died, stop });
        return;
      }
      if (Date.now() > deadline) {
        await stop(1000);
        fail(new AppError('config-invalid', `redis-server did not answer within ${startTimeoutMs} ms:\n${output}`));
        return;
      }
      setTimeout(() => void poll(), 50);
    };
    void poll();
  });
}

import { Worker } from 'bullmq';
import type { Job, Processor, WorkerOptions } from 'bullmq';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis-client.js';
import { quarantineUnreadableJob } from './unreadable-job.js';

/** What a guarded worker is built with: BullMQ's options, on a connection of ours (the quarantine writes through it). */
export type GuardedWorkerOptions = Omit<WorkerOptions, 'connection'> & { readonly connection: RedisClient };

/**
 * A BullMQ Worker that fails, once and with a reason, a job it cannot read.
 *
 * BullMQ parses a job's stored JSON (data, opts, progress, parent) while it moves the
 * job to active. Anyone who can write to Redis can store a job whose JSON does not
 * parse. Then the parse throws inside BullMQ's fetch, the worker emits the parser's
 * message (which quotes the stored text) and fetches again 5 s later, and the job stays
 * in `active` with no lock. The stall checker moves it back to wait each time, but it
 * only marks a job that stalled too often for failing: the failing itself is left to
 * a worker that can read the job, so `maxStalledCount` never ends it.
 *
 * Here every job is read through moveToActive (fetch-next on completion is off, so
 * BullMQ never reads a job inside moveToFinished), and when reading fails the job this
 * worker's token just locked is repaired in Redis (unreadable-job.ts) and failed by
 * BullMQ itself through `deferredFailure`: one failure, a reason that names fields but
 * quotes none of them, and a hash that `getJobs` (/releases, `pyrelease jobs`) can read.
 */
export class GuardedWorker<D = unknown, R = unknown, N extends string = string> extends Worker<D, R, N> {
  readonly #redis: RedisClient;
  readonly #log: Pick<Logger, 'warn'>;

  /** `log` hears of each job failed unread: someone or something wrote the queue by hand. */
  constructor(name: string, processor: Processor<D, R, N>, options: GuardedWorkerOptions, log: Pick<Logger, 'warn'>) {
    super(name, processor, options);
    this.#redis = options.connection;
    this.#log = log;
  }

  protected override async moveToActive(token: string, name?: string): Promise<Job<D, R, N>> {
    try {
      return await super.moveToActive(token, name);
    } catch (error) {
      const job = await this.#failUnreadable(token).catch(() => undefined);
      if (job !== undefined) return job;
      // A parser's message quotes the job's text: never let it reach the 'error' listeners.
      throw error instanceof SyntaxError ? new UnreadableJobError() : error;
    }
  }

  /** Without fetch-next, the next job is read by moveToActive above, never by moveToFinished. */
  override processJob(job: Job<D, R, N>, token: string): Promise<void | Job<D, R, N>> {
    return super.processJob(job, token, () => false);
  }

  async #failUnreadable(token: string): Promise<Job<D, R, N> | undefined> {
    const quarantined = await quarantineUnreadableJob(this.#redis, (type) => this.toKey(type), token);
    if (quarantined === null) return undefined;
    const job = await this.Job.fromId<D, R, N>(this, quarantined.jobId);
    if (job === undefined) return undefined;
    job.token = token;
    // processJob fails a job with a deferred failure before calling the processor, as an
    // UnrecoverableError: no retry, whatever the job's (unreadable) options said.
    job.deferredFailure = quarantined.reason;
    this.#log.warn({ queue: this.name, jobId: quarantined.jobId, code: 'job-invalid' }, quarantined.reason);
    return job;
  }
}

/** A fetch failed on a job that could not be read and could not be quarantined either. */
export class UnreadableJobError extends Error {
  constructor() {
    super('a job in the queue could not be read (its stored JSON does not parse)');
    this.name = 'UnreadableJobError';
  }
}

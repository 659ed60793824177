import type { JobType } from 'bullmq';

/**
 * A job a listing found but could not read: its id and the state it sits in, nothing of
 * what is stored in it (a forged job may hold anything, a token included).
 */
export interface UnreadableListedJob {
  readonly unreadable: true;
  readonly id: string;
  readonly state: string;
}

export type ListedJob<J> = { readonly unreadable: false; readonly job: J } | UnreadableListedJob;

/** The part of a BullMQ Queue a listing reads. */
export interface ListableQueue<J> {
  getRanges(types: JobType[], start: number, end: number, asc: boolean): Promise<string[]>;
  getJob(id: string): Promise<J | undefined>;
  getJobState(id: string): Promise<string>;
}

/** What a listing says of a job it cannot read, in every place that lists jobs. */
export const UNREADABLE_JOB_TEXT = 'job-unreadable: its stored data or options are not valid JSON, so it cannot be shown; a worker fails it once when it takes it';

/**
 * Queue.getJobs for listings (`pyrelease jobs`, /releases, bull-board), one job at a time.
 * BullMQ parses each job's stored JSON as it reads it, and one job whose data or options
 * do not parse makes getJobs throw for the whole range. A worker repairs such a job only
 * when it takes it (guarded-worker.ts), so until then every listing of its state failed.
 * Here the range's ids are read first, then each job; one that does not parse is listed
 * as unreadable. Redis errors still throw: only a job's own contents make it unreadable.
 */
export async function readableJobs<J>(queue: ListableQueue<J>, types: JobType[], start: number, end: number, asc = false): Promise<Array<ListedJob<J>>> {
  const ids = await queue.getRanges(types, start, end, asc);
  const listed = await Promise.all(
    ids.map(async (id): Promise<ListedJob<J> | null> => {
      const job = await readableJob(queue, id);
      if (job !== 'unreadable') return job === undefined ? null : { unreadable: false, job };
      // Its state is read from the queue's lists and sets, never from its hash.
      return { unreadable: true, id, state: types.length === 1 ? (types[0] as string) : await queue.getJobState(id) };
    }),
  );
  return listed.filter((j): j is ListedJob<J> => j !== null);
}

/** Queue.getJob, or 'unreadable' when the job's stored JSON does not parse. */
export async function readableJob<J>(queue: Pick<ListableQueue<J>, 'getJob'>, id: string): Promise<J | undefined | 'unreadable'> {
  try {
    return await queue.getJob(id);
  } catch (error) {
    // Job.fromJSON's JSON.parse (SyntaxError), or options that parsed to null being read
    // (TypeError). Anything else (Redis away, a reply error) is not about the job.
    if (error instanceof SyntaxError || error instanceof TypeError) return 'unreadable';
    throw error;
  }
}

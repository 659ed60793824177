import { UnrecoverableError } from 'bullmq';
import type { z } from 'zod';

/** A path segment that is a field name of ours or an index; anything else could be job data. */
const SAFE_SEGMENT = /^(\d{1,6}|[A-Za-z][A-Za-z0-9_-]{0,63})$/;

/**
 * The permanent failure of a job whose data does not match its schema. The reason names
 * the fields and zod's issue codes but quotes nothing of the job: its data may hold
 * anything (a forged job, a token pasted by mistake) and failedReason is shown on
 * /releases, in `pyrelease jobs` and in the logs.
 */
export function invalidJobError(what: string, error: z.ZodError): UnrecoverableError {
  const issues = error.issues.slice(0, 8).map((issue) => `${fieldOf(issue.path)}: ${issue.code}`);
  const more = error.issues.length > 8 ? `; and ${error.issues.length - 8} more` : '';
  return new UnrecoverableError(`job-invalid: the ${what} does not match its schema (${issues.join('; ')}${more}), so it was not run`);
}

function fieldOf(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(the job)';
  return path.map((segment) => (typeof segment !== 'symbol' && SAFE_SEGMENT.test(String(segment)) ? String(segment) : '?')).join('.');
}

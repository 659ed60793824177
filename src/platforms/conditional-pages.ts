import { z } from 'zod';
import type { RateReading, RequestCost, Revalidated } from './platform.js';
import { addCost, NO_COST } from './rate-reading.js';

/** One page of a paginated listing, asked with If-None-Match when an ETag is given. */
export interface PageAnswer<T> {
  readonly status: 200 | 304;
  readonly etag: string | null;
  readonly items: readonly T[];
  /** Whether the forge names a next page (meaningless on a 304). */
  readonly hasNext: boolean;
  readonly full: boolean;
  readonly rate: RateReading | null;
  /** Rate-limit points this answer cost (GitHub: a 304 is free; GitLab counts it). */
  readonly points: number;
}

export type FetchPage<T> = (page: number, etag: string | null) => Promise<PageAnswer<T>>;

/** The validator of a listing: each page's ETag, and whether the last page was full (a next page may have appeared behind it). */
const validatorSchema = z.object({ e: z.array(z.string().min(1).max(200)).min(1).max(100), f: z.literal(1).optional() });

const MAX_PAGES = 100;

function parseValidator(validator: string | null): z.infer<typeof validatorSchema> | null {
  if (validator === null) return null;
  try {
    const parsed = validatorSchema.safeParse(JSON.parse(validator));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

const costOf = (answer: PageAnswer<unknown>): RequestCost => ({ requests: 1, points: answer.points, rate: answer.rate });

/**
 * Every page of a listing, revalidated page by page against the ETags of the previous
 * listing (kubernetes/test-infra ghproxy revalidates each URL the same way). When every
 * page answers 304 and no page appeared behind the last one, nothing changed and no
 * content is returned. Otherwise the whole list is read: the pages that answered 304
 * before the first changed one are read again without If-None-Match (the content of a
 * 304 is kept nowhere), the changed page is used as it came.
 */
export async function conditionalPages<T>(validator: string | null, fetchPage: FetchPage<T>): Promise<Revalidated<T[]>> {
  const old = parseValidator(validator);
  let cost = NO_COST;
  const fresh = new Map<number, PageAnswer<T>>();
  const ask = async (page: number, etag: string | null): Promise<PageAnswer<T>> => {
    const answer = await fetchPage(page, etag);
    cost = addCost(cost, costOf(answer));
    return answer;
  };
  if (old !== null && validator !== null) {
    for (let page = 1; page <= old.e.length && fresh.size === 0; page++) {
      const answer = await ask(page, old.e[page - 1] ?? null);
      if (answer.status === 200) fresh.set(page, answer);
    }
    if (fresh.size === 0) {
      // The last page was full: a page may have appeared behind it.
      if (old.f === undefined) return { changed: false, validator, cost };
      const behind = await ask(old.e.length + 1, null);
      if (behind.items.length === 0) return { changed: false, validator, cost };
      fresh.set(old.e.length + 1, behind);
    }
  }
  const items: T[] = [];
  const etags: Array<string | null> = [];
  let full = false;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const answer = fresh.get(page) ?? (await ask(page, null));
    items.push(...answer.items);
    etags.push(answer.etag);
    full = answer.full;
    if (!answer.hasNext) break;
  }
  const complete = etags.every((e): e is string => e !== null);
  const next = complete ? JSON.stringify({ e: etags, ...(full ? { f: 1 } : {}) }) : null;
  return { changed: true, value: items, validator: next, cost };
}

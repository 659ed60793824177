import { z } from 'zod';
import type { Logger } from '../../logger.js';
import { translated } from './github-errors.js';
import type { GithubOctokit } from './github-octokit.js';

/**
 * GitHub never retries a failed delivery by itself (docs "Handling failed webhook
 * deliveries"); failed ones can be listed and redelivered through the App's hook
 * deliveries API for three days. A delivery id (guid) counts as failed when none of its
 * attempts got a 2xx; each such guid is redelivered once per pass, newest attempt
 * first. A redelivery keeps the guid, so our receiver's dedup stays correct, and once
 * it succeeds the guid has an OK attempt and is left alone.
 */
const deliverySchema = z.object({
  id: z.number().int(),
  guid: z.string(),
  delivered_at: z.string(),
  status_code: z.number().int(),
});

export interface RedeliveryResult {
  readonly checked: number;
  readonly redelivered: number;
}

export async function redeliverFailedDeliveries(app: GithubOctokit, options: { sinceMs: number; maxRedeliveries: number; log: Logger }): Promise<RedeliveryResult> {
  const attempts = new Map<string, Array<z.output<typeof deliverySchema>>>();
  let checked = 0;
  const pages = app.paginate.iterator('GET /app/hook/deliveries', { per_page: 100 });
  outer: for await (const page of pages) {
    for (const raw of page.data as unknown[]) {
      const d = deliverySchema.safeParse(raw);
      if (!d.success) continue;
      // Newest first: past the window, the rest is older still.
      if (Date.parse(d.data.delivered_at) < options.sinceMs) break outer;
      checked++;
      attempts.set(d.data.guid, [...(attempts.get(d.data.guid) ?? []), d.data]);
    }
  }
  let redelivered = 0;
  for (const [guid, tries] of attempts) {
    if (tries.some((t) => t.status_code >= 200 && t.status_code < 300)) continue;
    if (redelivered >= options.maxRedeliveries) break;
    const newest = tries.reduce((a, b) => (b.id > a.id ? b : a));
    await translated('redeliver a webhook delivery', () => app.request('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: newest.id }));
    options.log.info({ guid, deliveryId: newest.id, status: newest.status_code }, 'asked GitHub to redeliver a failed delivery');
    redelivered++;
  }
  return { checked, redelivered };
}

import { randomUUID } from 'node:crypto';

/**
 * A UUID of version 7 (RFC 9562): the first 48 bits are the Unix time in milliseconds, the rest random,
 * so ids sort by the time they were made. Built from `randomUUID()`, whose random bytes Node draws from
 * a pool, where the `uuid` package's v7 asks the system for 16 fresh random bytes per id
 * (docs/decisions/0004-time-ordered-order-ids.md). Ids made in the same millisecond sort among
 * themselves at random, which RFC 9562 allows.
 */
export function timeOrderedUuid(now: number = Date.now()): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx, the variant bits already set
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}

/**
 * A random Idempotency-Key (32 hex characters). getRandomValues, not randomUUID: the latter exists
 * only in secure contexts, and the dashboard may be opened over plain http on another machine's address.
 */
export function newIdempotencyKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Settles like `promise`, or rejects with `timeoutError()` once `ms` have passed: the one way the
 * services bound a wait (readiness checks, broker confirms, publishes) so none of them can hang.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeoutError()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

class TimeUp extends Error {}

/**
 * Whether `promise` fulfilled within `ms`: true if it did, false once `ms` have passed (it is then no
 * longer waited for); rejects as `promise` does within the time. For bounded closes: a peer that does
 * not answer is abandoned rather than waited on.
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  try {
    await withTimeout(promise, ms, () => new TimeUp());
    return true;
  } catch (error) {
    if (error instanceof TimeUp) return false;
    throw error;
  }
}

/** A URL fit for logs and error messages: its password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}

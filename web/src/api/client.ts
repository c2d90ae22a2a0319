import type { ErrorResponse } from '@shipshape/contracts';

export type FieldProblem = ErrorResponse['details'][number];

/** An answer that was not 2xx: the API's own message and the fields it names (`body.title`, …). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly details: FieldProblem[] = [],
    /** Seconds, from a 503's `Retry-After`. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }

  /** The messages about one field: `forField('title')` finds `body.title`. */
  forField(field: string): string[] {
    return this.details
      .filter((detail) => detail.path === field || detail.path === `body.${field}` || detail.path.endsWith(`.${field}`))
      .map((detail) => detail.message);
  }
}

/** The network failed, or the answer was not the JSON the API answers. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return 'The API cannot be reached. Is the gateway running?';
  return error instanceof Error ? error.message : String(error);
}

function isErrorBody(body: unknown): body is ErrorResponse {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { error?: unknown }).error === 'string' &&
    Array.isArray((body as { details?: unknown }).details)
  );
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * A request to `/api…` on the page's own origin. JSON in and out; a non-2xx answer throws ApiError
 * with the body's `error` and `details`, or the status line when the body is not the API's.
 */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal; headers?: Record<string, string> } = {},
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
    credentials: 'same-origin',
  });
  const text = await response.text();
  let body: unknown = undefined;
  if (text.length > 0 && response.headers.get('content-type')?.includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (!response.ok) {
    const retry = Number(response.headers.get('retry-after'));
    const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
    if (isErrorBody(body)) throw new ApiError(response.status, body.error, body.details, retryAfter);
    throw new ApiError(response.status, `${response.status} ${response.statusText || 'error'}`.trim(), [], retryAfter);
  }
  return { status: response.status, body: body as T, headers: response.headers };
}

/** The `X-Total-Count` of a list answer; 0 when it is missing. */
export function totalCount(headers: Headers): number {
  const total = Number(headers.get('x-total-count'));
  return Number.isFinite(total) && total >= 0 ? total : 0;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await api<T>(path, { signal })).body;
}

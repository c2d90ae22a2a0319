/**
 * Typed errors that any layer may throw; `server.ts` maps them to HTTP in one place, so routes and
 * domain code never build status codes or response bodies themselves.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export abstract class AppError extends Error {
  abstract readonly statusCode: number;
  readonly details: ErrorDetail[];

  constructor(message: string, details: ErrorDetail[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }
}

/** The request is well-formed HTTP but its content does not fit the schema (400). */
export class ValidationError extends AppError {
  readonly statusCode = 400;
}

/** The one wording of a 400 for what did not fit a schema: "Invalid request: body.option: …". */
export function invalidRequest(details: ErrorDetail[]): ValidationError {
  const described = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ');
  return new ValidationError(`Invalid request: ${described}`, details);
}

/** The request is understood but this deployment does not allow it (403), for example a feature left off. */
export class ForbiddenError extends AppError {
  readonly statusCode = 403;
}

export class NotFoundError extends AppError {
  readonly statusCode = 404;
}

/** The client accepts none of the media types the route produces (406). */
export class NotAcceptableError extends AppError {
  readonly statusCode = 406;
}

export class ConflictError extends AppError {
  readonly statusCode = 409;
}

/** A dependency (database, broker, upstream service) is down; the client should retry later (503). */
export class ServiceUnavailableError extends AppError {
  readonly statusCode = 503;
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds = 5, options?: ErrorOptions) {
    super(message, [], options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** An upstream answered something the gateway cannot use (502). */
export class BadGatewayError extends AppError {
  readonly statusCode = 502;
}

/** An upstream did not answer in time (504); like a 503, the client may retry after a while. */
export class GatewayTimeoutError extends AppError {
  readonly statusCode = 504;
  readonly retryAfterSeconds: number;

  constructor(message: string, details: ErrorDetail[] = [], options?: ErrorOptions & { retryAfterSeconds?: number }) {
    super(message, details, options);
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 5;
  }
}

/** An error's message, whatever was thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface ErrorBody {
  error: string;
  details: ErrorDetail[];
}

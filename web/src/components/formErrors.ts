import { ApiError } from '../api/client';

/** Messages per field name (`title`, `features.bill_length_mm`); `''` holds those about no one field. */
export type FieldErrors = Record<string, string[]>;

function add(errors: FieldErrors, key: string, message: string) {
  (errors[key] ??= []).push(message);
}

/** The issues of a failed zod `safeParse`, by the field they name. */
export function issuesToFieldErrors(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>) {
  const errors: FieldErrors = {};
  for (const issue of issues) add(errors, issue.path.map(String).join('.'), issue.message);
  return errors;
}

/**
 * The `details` of an API error by the field they name: `body.title` is the form's `title`. A detail
 * about something the form has no field for (a header, the whole body) goes under `''`.
 */
export function apiFieldErrors(error: unknown, fields: readonly string[]): FieldErrors {
  const errors: FieldErrors = {};
  if (!(error instanceof ApiError)) return errors;
  for (const detail of error.details) {
    const key = detail.path.replace(/^body\.?/, '');
    if (fields.includes(key)) add(errors, key, detail.message);
    else add(errors, '', detail.path ? `${detail.path}: ${detail.message}` : detail.message);
  }
  return errors;
}

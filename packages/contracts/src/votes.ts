import { z } from 'zod';

/** The voting application (issue 11): its poll configuration, its public API and its stream. */

export const DEFAULT_VOTE_QUESTION = 'Cats or dogs?';
export const DEFAULT_VOTE_OPTIONS = 'a=Cats,b=Dogs';
export const MAX_QUESTION_LENGTH = 200;
export const MIN_POLL_OPTIONS = 2;
export const MAX_POLL_OPTIONS = 10;
export const MAX_OPTION_ID_LENGTH = 32;
export const MAX_OPTION_LABEL_LENGTH = 60;
const OPTION_ID = /^[a-z0-9-]{1,32}$/;
// Control characters in a label would reach pages and logs verbatim; nobody means to put them there.
const CONTROL = /\p{Cc}/u;

export interface PollOption {
  id: string;
  label: string;
}

export interface PollConfig {
  question: string;
  options: PollOption[];
}

/** One problem per entry, each starting with the variable it is about. */
export class PollConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid poll configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PollConfigError';
  }
}

type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Counts characters as people do (code points), so a label in any script gets its 60. */
function length(text: string): number {
  return [...text].length;
}

function parseQuestion(raw: string | undefined): Parsed<string> {
  const question = (raw ?? DEFAULT_VOTE_QUESTION).trim();
  if (question.length === 0) return { ok: false, problems: ['must not be empty'] };
  if (length(question) > MAX_QUESTION_LENGTH) {
    return {
      ok: false,
      problems: [`must be at most ${MAX_QUESTION_LENGTH} characters (it has ${length(question)})`],
    };
  }
  if (CONTROL.test(question)) return { ok: false, problems: ['must not contain control characters'] };
  return { ok: true, value: question };
}

/** `id=label` pairs separated by commas; the first `=` of a pair ends its id, so a label may hold one. */
function parseOptions(raw: string | undefined): Parsed<PollOption[]> {
  const text = raw ?? DEFAULT_VOTE_OPTIONS;
  if (text.trim().length === 0) {
    return { ok: false, problems: ['must not be empty (give id=label pairs separated by commas)'] };
  }
  const items = text.split(',');
  const problems: string[] = [];
  const options: PollOption[] = [];
  const seen = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    const n = index + 1;
    const shown = JSON.stringify(item.trim());
    if (item.trim().length === 0) {
      problems.push(`option ${n} is empty (give id=label pairs separated by commas)`);
      continue;
    }
    const equals = item.indexOf('=');
    if (equals < 0) {
      problems.push(`option ${n} ${shown} has no label (id=label)`);
      continue;
    }
    const id = item.slice(0, equals).trim();
    const label = item.slice(equals + 1).trim();
    let valid = true;
    if (!OPTION_ID.test(id)) {
      valid = false;
      problems.push(
        id.length === 0
          ? `option ${n} ${shown} has no id (id=label)`
          : `option ${n} has id ${JSON.stringify(id)}: an id is 1 to ${MAX_OPTION_ID_LENGTH} of a-z, 0-9 and -`,
      );
    } else if (seen.has(id)) {
      valid = false;
      problems.push(`option ${n} repeats the id ${JSON.stringify(id)} of option ${seen.get(id)}`);
    } else {
      seen.set(id, n);
    }
    if (label.length === 0) {
      valid = false;
      problems.push(`option ${n} ${shown} has no label (id=label)`);
    } else if (length(label) > MAX_OPTION_LABEL_LENGTH) {
      valid = false;
      problems.push(
        `option ${n} (${JSON.stringify(id)}) has a label of ${length(label)} characters, at most ${MAX_OPTION_LABEL_LENGTH} allowed`,
      );
    } else if (CONTROL.test(label)) {
      valid = false;
      problems.push(`option ${n} (${JSON.stringify(id)}) has control characters in its label`);
    }
    if (valid) options.push({ id, label });
  }
  if (items.length < MIN_POLL_OPTIONS) {
    problems.push(`${items.length} option given, at least ${MIN_POLL_OPTIONS} needed`);
  } else if (items.length > MAX_POLL_OPTIONS) {
    problems.push(`${items.length} options given, at most ${MAX_POLL_OPTIONS} allowed`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: options };
}

/**
 * The poll from `VOTE_QUESTION` and `VOTE_OPTIONS` (unset: the defaults). Throws `PollConfigError`
 * with every problem of both, each naming its variable, so an operator fixes them in one go.
 */
export function parsePollConfig(question: string | undefined, options: string | undefined): PollConfig {
  const parsedQuestion = parseQuestion(question);
  const parsedOptions = parseOptions(options);
  if (parsedQuestion.ok && parsedOptions.ok) return { question: parsedQuestion.value, options: parsedOptions.value };
  throw new PollConfigError([
    ...(parsedQuestion.ok ? [] : parsedQuestion.problems.map((p) => `VOTE_QUESTION: ${p}`)),
    ...(parsedOptions.ok ? [] : parsedOptions.problems.map((p) => `VOTE_OPTIONS: ${p}`)),
  ]);
}

/**
 * A config field running `parse`. The variable's name is the issue's path (a config schema puts it
 * there, and platform's `parseConfig` prints `VOTE_OPTIONS: <problem>`), so the message leaves it out.
 */
function envField<T>(parse: (raw: string | undefined) => Parsed<T>) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const parsed = parse(raw);
      if (parsed.ok) return parsed.value;
      for (const message of parsed.problems) ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    });
}

/** The variables of a service that knows the poll (vote, result); spread both into its config schema. */
export const voteQuestionEnv = { VOTE_QUESTION: envField(parseQuestion) };
export const voteOptionsEnv = { VOTE_OPTIONS: envField(parseOptions) };

const optionId = z.string().regex(OPTION_ID);

export const pollSchema = z
  .object({
    question: z.string(),
    options: z.array(z.object({ id: optionId, label: z.string() })),
  })
  .meta({ id: 'Poll' });

function optionField(allowed?: readonly string[]) {
  const expected = allowed ? `one of ${allowed.map((id) => JSON.stringify(id)).join(', ')}` : 'a string';
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? `option is required (${expected})` : `option must be ${expected}`;
}

/**
 * The body of `POST /api/votes` as the OpenAPI document shows it. Whether the option exists depends on
 * the poll, which the gateway does not know; the vote service checks with `voteRequestSchemaFor`.
 */
export const voteRequestSchema = z
  .strictObject({ option: z.string({ error: optionField() }) })
  .meta({ id: 'VoteRequest' });

/**
 * `voteRequestSchema` held to the poll's option ids, naming them when the option is not one of them.
 * Not registered under an id: a service may build it once per poll and OpenAPI shows the generic one.
 */
export function voteRequestSchemaFor(optionIds: readonly string[]) {
  if (optionIds.length === 0) throw new Error('a poll has at least one option');
  return z.strictObject({
    option: z.enum(optionIds as [string, ...string[]], { error: optionField(optionIds) }),
  });
}

/**
 * What the gateway sends the vote service for a `POST /api/votes`: the voter from the cookie, and the
 * option as the client gave it. The vote service checks the option against its poll.
 */
export function voteCastSchemaFor(optionIds: readonly string[]) {
  return voteRequestSchemaFor(optionIds).extend({ voterId: voterIdSchema });
}

/**
 * The gateway's batched votes: the `POST /api/votes` of one event-loop turn go to the vote service as
 * one `POST /internal/votes`, as the movie lookups do (docs/decisions/0003-request-collapser.md).
 * The gateway has checked each item's shape; the vote service checks each option and answers one item
 * per vote, in order, each the status and body `POST /votes` would have given.
 */
export const VOTE_BATCH_PATH = '/internal/votes';
export const MAX_VOTE_BATCH = 100;

export const voteBatchRequestSchema = z
  .array(z.object({ voterId: z.string(), option: z.string(), requestId: z.string().max(128).optional() }))
  .min(1)
  .max(MAX_VOTE_BATCH);

export const voteBatchAnswerSchema = z.array(
  z.object({
    status: z.number().int(),
    body: z.unknown(),
    /** Seconds, with a 503. */
    retryAfter: z.number().int().positive().optional(),
  }),
);

export type VoteBatchAnswer = z.infer<typeof voteBatchAnswerSchema>;

/** Answered with 202 once the vote is durable; `id` is the vote's entry in the vote log. */
export const voteAcceptedSchema = z
  .object({ message: z.string(), id: z.string(), option: z.string() })
  .meta({ id: 'VoteAccepted' });

/** `total` is the number of voters counted (each voter's current vote counts once). */
export const resultsSchema = z
  .object({
    question: z.string(),
    total: z.number().int().nonnegative(),
    options: z.array(z.object({ id: z.string(), label: z.string(), votes: z.number().int().nonnegative() })),
  })
  .meta({ id: 'Results' });

/** The cookie that knows a voter: one current vote per voter. */
export const VOTER_COOKIE = 'voter_id';

/**
 * A voter id is random and unguessable: 22 to 43 base64url characters (at least 128 bits). Anything
 * else in the cookie is malformed and the voter is given a new id.
 */
export const voterIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{22,43}$/, 'voter_id must be 22 to 43 base64url characters');

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * 128 random bits as 22 base64url characters (unpadded). Web Crypto, which Node and browsers both
 * have, so that the dashboard can bundle these contracts.
 */
export function newVoterId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  let bits = 0;
  let value = 0;
  let id = '';
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff; // only the bits not yet written matter
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      id += BASE64URL[(value >> bits) & 63];
    }
  }
  // 128 bits leave 2: the last character carries them in its high bits, as base64url does.
  if (bits > 0) id += BASE64URL[(value << (6 - bits)) & 63];
  return id;
}

/** The Server-Sent Events event name of `GET /api/results/stream`; its data is a `Results`. */
export const RESULTS_EVENT = 'results';

export type Poll = z.infer<typeof pollSchema>;
export type VoteRequest = z.infer<typeof voteRequestSchema>;
export type VoteAccepted = z.infer<typeof voteAcceptedSchema>;
export type Results = z.infer<typeof resultsSchema>;

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseConfig } from '@shipshape/platform';
import {
  newVoterId,
  parsePollConfig,
  PollConfigError,
  resultsSchema,
  voteOptionsEnv,
  voteQuestionEnv,
  voteRequestSchema,
  voteRequestSchemaFor,
  voterIdSchema,
} from '@shipshape/contracts';

/** A config schema as a service builds one, so the tests see what an operator would read. */
const configSchema = z.object({ ...voteQuestionEnv, ...voteOptionsEnv });

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(configSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

function pollProblemsOf(question: string | undefined, options: string | undefined): string[] {
  try {
    parsePollConfig(question, options);
  } catch (error) {
    if (error instanceof PollConfigError) return error.problems;
    throw error;
  }
  throw new Error('the poll was accepted');
}

/** Both ways of reading the poll must refuse the value with the same problems, each naming its variable. */
function expectRefused(env: { VOTE_QUESTION?: string; VOTE_OPTIONS?: string }, ...expected: string[]) {
  const fromConfig = problemsOf(env);
  const fromParse = pollProblemsOf(env.VOTE_QUESTION, env.VOTE_OPTIONS);
  // platform words an empty variable as "is required but not set (<problem>)"; otherwise both agree.
  if (!Object.values(env).includes('')) expect(fromParse).toEqual(fromConfig);
  for (const problem of fromParse) expect(problem).toMatch(/^VOTE_(QUESTION|OPTIONS): /);
  for (const problem of fromConfig) expect(problem).toMatch(/^VOTE_(QUESTION|OPTIONS)[: ]/);
  for (const part of expected) expect(fromConfig.join('\n')).toContain(part);
  return fromConfig;
}

function options(n: number): string {
  return Array.from({ length: n }, (_, i) => `o${i}=Option ${i}`).join(',');
}

describe('poll configuration', () => {
  it('defaults to "Cats or dogs?" with a=Cats, b=Dogs', () => {
    const expected = {
      question: 'Cats or dogs?',
      options: [
        { id: 'a', label: 'Cats' },
        { id: 'b', label: 'Dogs' },
      ],
    };
    expect(parsePollConfig(undefined, undefined)).toEqual(expected);
    expect(parseConfig(configSchema, {})).toEqual({ VOTE_QUESTION: expected.question, VOTE_OPTIONS: expected.options });
  });

  it('takes 2 and 10 options, in the order given', () => {
    expect(parsePollConfig('Q?', 'x=X,y=Y').options).toEqual([
      { id: 'x', label: 'X' },
      { id: 'y', label: 'Y' },
    ]);
    const ten = parseConfig(configSchema, { VOTE_OPTIONS: options(10) }).VOTE_OPTIONS;
    expect(ten.map((o) => o.id)).toEqual(Array.from({ length: 10 }, (_, i) => `o${i}`));
  });

  it('refuses 1 and 11 options', () => {
    expectRefused({ VOTE_OPTIONS: 'a=Cats' }, 'VOTE_OPTIONS: 1 option given, at least 2 needed');
    expectRefused({ VOTE_OPTIONS: options(11) }, 'VOTE_OPTIONS: 11 options given, at most 10 allowed');
  });

  it('trims white space around ids, labels and the question', () => {
    expect(parsePollConfig('  Tea or coffee?  ', ' t = Tea ,  c=  Black coffee ')).toEqual({
      question: 'Tea or coffee?',
      options: [
        { id: 't', label: 'Tea' },
        { id: 'c', label: 'Black coffee' },
      ],
    });
  });

  it('keeps an = inside a label', () => {
    expect(parsePollConfig(undefined, 'a=1=2,b=other').options[0]).toEqual({ id: 'a', label: '1=2' });
  });

  it('refuses a bad id', () => {
    expectRefused({ VOTE_OPTIONS: 'a=Cats,B=Dogs' }, 'VOTE_OPTIONS: option 2 has id "B"');
    expectRefused({ VOTE_OPTIONS: 'a=Cats,b c=Dogs' }, 'option 2 has id "b c"');
    expectRefused({ VOTE_OPTIONS: `a=Cats,${'b'.repeat(33)}=Dogs` }, 'option 2 has id');
    expectRefused({ VOTE_OPTIONS: 'a=Cats,=Dogs' }, 'VOTE_OPTIONS: option 2 "=Dogs" has no id (id=label)');
    expect(parsePollConfig(undefined, `a=Cats,${'b'.repeat(32)}=Dogs,c-9=Other`).options).toHaveLength(3);
  });

  it('refuses a duplicate id', () => {
    expectRefused({ VOTE_OPTIONS: 'a=Cats,b=Dogs,a=Birds' }, 'VOTE_OPTIONS: option 3 repeats the id "a" of option 1');
  });

  it('refuses an empty, missing or too long label', () => {
    expectRefused({ VOTE_OPTIONS: 'a=Cats,b=Dogs,x' }, 'VOTE_OPTIONS: option 3 "x" has no label (id=label)');
    expectRefused({ VOTE_OPTIONS: 'a=Cats,b=  ' }, 'VOTE_OPTIONS: option 2 "b=" has no label (id=label)');
    expectRefused({ VOTE_OPTIONS: `a=Cats,b=${'x'.repeat(61)}` }, 'a label of 61 characters, at most 60 allowed');
    // Sixty characters outside the Basic Multilingual Plane are still sixty characters.
    expect(parsePollConfig(undefined, `a=Cats,b=${'🐶'.repeat(60)}`).options[1]?.label).toHaveLength(120);
    expectRefused({ VOTE_OPTIONS: 'a=Cats,b=Do\u0007gs' }, 'control characters');
  });

  it('refuses empty options, an empty item or a trailing comma', () => {
    expectRefused({ VOTE_OPTIONS: '' }, 'VOTE_OPTIONS');
    expectRefused({ VOTE_OPTIONS: '   ' }, 'must not be empty');
    expectRefused({ VOTE_OPTIONS: 'a=Cats,b=Dogs,' }, 'VOTE_OPTIONS: option 3 is empty');
    expectRefused({ VOTE_OPTIONS: 'a=Cats,,b=Dogs' }, 'VOTE_OPTIONS: option 2 is empty');
  });

  it('refuses an empty or too long question', () => {
    expectRefused({ VOTE_QUESTION: ' ' }, 'VOTE_QUESTION: must not be empty');
    expectRefused({ VOTE_QUESTION: 'q'.repeat(201) }, 'VOTE_QUESTION: must be at most 200 characters');
    expect(parsePollConfig('q'.repeat(200), undefined).question).toHaveLength(200);
  });

  it('reports every problem of both variables at once', () => {
    const problems = expectRefused({ VOTE_QUESTION: '', VOTE_OPTIONS: 'A=Cats,b=' });
    expect(problems).toHaveLength(3);
    expect(problems.filter((p) => p.startsWith('VOTE_QUESTION')).length).toBe(1);
    expect(problems.filter((p) => p.startsWith('VOTE_OPTIONS')).length).toBe(2);
  });
});

describe('vote API schemas', () => {
  it('a vote request is exactly { option: string }', () => {
    expect(voteRequestSchema.parse({ option: 'a' })).toEqual({ option: 'a' });
    expect(voteRequestSchema.safeParse({ option: 'a', extra: 1 }).success).toBe(false);
    expect(voteRequestSchema.safeParse({}).error?.issues[0]?.message).toMatch(/option is required/);
    expect(voteRequestSchema.safeParse({ option: 3 }).error?.issues[0]?.message).toBe('option must be a string');
  });

  it('a vote request for a poll names the allowed ids', () => {
    const schema = voteRequestSchemaFor(['a', 'b']);
    expect(schema.parse({ option: 'b' })).toEqual({ option: 'b' });
    const unknown = schema.safeParse({ option: 'c' }).error?.issues[0];
    expect(unknown?.path).toEqual(['option']);
    expect(unknown?.message).toBe('option must be one of "a", "b"');
    expect(schema.safeParse({}).error?.issues[0]?.message).toBe('option is required (one of "a", "b")');
    expect(schema.safeParse({ option: 'a', voter: 'x' }).success).toBe(false);
  });

  it('results carry non-negative integer counts', () => {
    const results = { question: 'Q', total: 3, options: [{ id: 'a', label: 'A', votes: 3 }] };
    expect(resultsSchema.parse(results)).toEqual(results);
    expect(resultsSchema.safeParse({ ...results, total: -1 }).success).toBe(false);
  });

  it('a new voter id has 128 random bits and fits the voter id schema', () => {
    const ids = new Set(Array.from({ length: 100 }, newVoterId));
    expect(ids.size).toBe(100);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(voterIdSchema.safeParse(id).success).toBe(true);
    }
    expect(voterIdSchema.safeParse('short').success).toBe(false);
    expect(voterIdSchema.safeParse('a'.repeat(44)).success).toBe(false);
    expect(voterIdSchema.safeParse(`${'a'.repeat(21)}=`).success).toBe(false);
  });
});

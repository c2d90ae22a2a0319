import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, env, parseConfig } from '../src/config.js';

const schema = z.object({
  DATABASE_URL: env.url(['postgres', 'postgresql']),
  PORT: env.port(3000),
  VERBOSE: env.boolean(false),
});

describe('parseConfig', () => {
  it('applies defaults and coerces values', () => {
    const config = parseConfig(schema, { DATABASE_URL: 'postgres://db/x', VERBOSE: 'yes' });
    expect(config).toEqual({ DATABASE_URL: 'postgres://db/x', PORT: 3000, VERBOSE: true });
  });

  it('names every missing or invalid variable in one error', () => {
    let caught: unknown;
    try {
      parseConfig(schema, { PORT: '70000', VERBOSE: 'maybe' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as ConfigError).message;
    expect(message).toContain('DATABASE_URL is required but not set');
    expect(message).toMatch(/PORT: .*65535/);
    expect(message).toContain('VERBOSE:');
    expect((caught as ConfigError).problems).toHaveLength(3);
  });

  it('rejects a URL with the wrong protocol', () => {
    expect(() => parseConfig(schema, { DATABASE_URL: 'mysql://db/x' })).toThrow(
      /DATABASE_URL: must be a URL starting with postgres:\/\/ or postgresql:\/\//,
    );
  });
});

describe('env.trustProxy', () => {
  const proxySchema = z.object({ TRUST_PROXY: env.trustProxy() });
  const parse = (value?: string) =>
    parseConfig(proxySchema, value === undefined ? {} : { TRUST_PROXY: value }).TRUST_PROXY;

  it('is off by default, a boolean for true and false, else the list of proxies', () => {
    expect(parse()).toBe(false);
    expect(parse('true')).toBe(true);
    expect(parse('no')).toBe(false);
    expect(parse('uniquelocal, 10.1.0.0/16,::1')).toEqual(['uniquelocal', '10.1.0.0/16', '::1']);
  });

  it.each(['nginx', '10.0.0.0/33', '10.0.0.1/8/2', 'fe80::/129'])('names "%s" as no proxy it knows', (value) => {
    expect(() => parse(value)).toThrow(/TRUST_PROXY: ".*" is neither true, false, an address, a CIDR range/);
  });
});

describe('<NAME>_FILE', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'shipshape-config-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const secret = (name: string, contents: string) => {
    const file = path.join(folder, name);
    writeFileSync(file, contents);
    return file;
  };

  it('reads a variable from the file it names, without the last newline', () => {
    const file = secret('url', 'postgres://user:s3cret@db/x\n');
    expect(parseConfig(schema, { DATABASE_URL_FILE: file })).toMatchObject({
      DATABASE_URL: 'postgres://user:s3cret@db/x',
    });
    // The value read is checked like any other.
    const bad = secret('bad-url', 'mysql://db/x');
    expect(() => parseConfig(schema, { DATABASE_URL_FILE: bad })).toThrow(
      /DATABASE_URL: must be a URL starting with postgres/,
    );
  });

  it('names a file it cannot read, and a variable set both ways, with every other problem', () => {
    let caught: unknown;
    try {
      parseConfig(schema, {
        DATABASE_URL_FILE: path.join(folder, 'missing'),
        PORT: '1',
        PORT_FILE: secret('port', '2'),
        VERBOSE: 'maybe',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([
      `DATABASE_URL_FILE: cannot read ${path.join(folder, 'missing')} (ENOENT)`,
      'PORT and PORT_FILE are both set: set only one of them',
      expect.stringMatching(/^VERBOSE: /),
    ]);
  });
});

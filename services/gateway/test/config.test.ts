import { BILLING_QUEUE } from '@shipshape/contracts';
import { ConfigError, parseConfig } from '@shipshape/platform';
import { describe, expect, it } from 'vitest';
import { gatewayConfigSchema } from '../src/config.js';

describe('gateway configuration', () => {
  it('runs locally with no variables set', () => {
    expect(parseConfig(gatewayConfigSchema, {})).toMatchObject({
      PORT: 3000,
      INVENTORY_URL: 'http://127.0.0.1:3001',
      BILLING_URL: 'http://127.0.0.1:3002',
      BILLING_QUEUE,
      UPSTREAM_TIMEOUT_MS: 5_000,
      PUBLISH_TIMEOUT_MS: 5_000,
      BODY_LIMIT_BYTES: 65_536,
      CORS_ORIGINS: [],
      RATE_LIMIT_MAX: 1_000,
      RATE_LIMIT_WINDOW_MS: 60_000,
    });
  });

  it('reads CORS origins as a comma list', () => {
    const config = parseConfig(gatewayConfigSchema, { CORS_ORIGINS: ' https://a.example/ ,http://localhost:8080,' });
    expect(config.CORS_ORIGINS).toEqual(['https://a.example', 'http://localhost:8080']);
    expect(parseConfig(gatewayConfigSchema, { CORS_ORIGINS: '*' }).CORS_ORIGINS).toEqual(['*']);
  });

  it('names every invalid variable at once', () => {
    let error: unknown;
    try {
      parseConfig(gatewayConfigSchema, {
        INVENTORY_URL: 'inventory:3001',
        RATE_LIMIT_MAX: '-1',
        CORS_ORIGINS: 'https://ok.example,https://a.example/path',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/INVENTORY_URL: must be a URL starting with http:\/\/ or https:\/\//);
    expect(problems).toMatch(/RATE_LIMIT_MAX/);
    expect(problems).toMatch(/CORS_ORIGINS.*"https:\/\/a.example\/path" is not an origin/);
  });
});

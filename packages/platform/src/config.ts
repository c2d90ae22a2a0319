import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once against a zod object schema. Every missing or invalid variable is
 * reported together, so an operator fixes them all in one go instead of one per restart.
 *
 * Any variable of the schema can also come from a file: `<NAME>_FILE` is the path of a file whose
 * contents (without a last newline) are the value, which is how Docker and Swarm secrets arrive
 * (`DATABASE_URL_FILE=/run/secrets/inventory_database_url`). Setting both is a mistake, and named.
 */
export function parseConfig<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv = process.env): T {
  const { values, problems: fileProblems } = readFileVariables(schema, env);
  const result = schema.safeParse(values);
  if (result.success && fileProblems.length === 0) return result.data;
  const failed = new Set(fileProblems.map(({ name }) => name));
  const problems = (result.success ? [] : result.error.issues).flatMap((issue) => {
    const name = issue.path.join('.') || '(environment)';
    if (failed.has(name)) return [];
    const value = issue.path.length === 1 ? values[String(issue.path[0])] : undefined;
    const missing = value === undefined || value === '';
    return [missing ? `${name} is required but not set (${issue.message})` : `${name}: ${issue.message}`];
  });
  throw new ConfigError([...fileProblems.map(({ problem }) => problem), ...problems]);
}

/** The environment with every `<NAME>_FILE` of the schema's variables read into `<NAME>`. */
function readFileVariables(schema: z.ZodType, env: NodeJS.ProcessEnv) {
  const values: NodeJS.ProcessEnv = { ...env };
  const problems: { name: string; problem: string }[] = [];
  const names = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  for (const name of names) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push({ name, problem: `${name} and ${name}_FILE are both set: set only one of them` });
      continue;
    }
    try {
      values[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      problems.push({ name, problem: `${name}_FILE: cannot read ${file} (${code})` });
    }
  }
  return { values, problems };
}

/** `parseConfig` for entry points: prints the problems and exits 1 instead of throwing. */
export function loadConfig<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv = process.env): T {
  try {
    return parseConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** Building blocks shared by every service's configuration schema. */
export const env = {
  port: (defaultPort: number) => z.coerce.number().int().min(1).max(65535).default(defaultPort),
  host: () => z.string().min(1).default('0.0.0.0'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  url: (protocols: string[]) =>
    z
      .string({ error: 'must be a URL' })
      .min(1)
      .refine(
        (value) => {
          try {
            return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
          } catch {
            return false;
          }
        },
        { message: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}` },
      ),
  positiveInt: (defaultValue: number) => z.coerce.number().int().positive().default(defaultValue),
  nonNegativeInt: (defaultValue: number) => z.coerce.number().int().min(0).default(defaultValue),
  boolean: (defaultValue: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(defaultValue ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1' || value === 'yes'),
  /**
   * Which proxies a service believes about the client's address (X-Forwarded-For): `false` none,
   * `true` any, or a comma-separated list of addresses, CIDR ranges and proxy-addr's names
   * `loopback`, `linklocal`, `uniquelocal` (the private ranges Docker's networks use).
   */
  trustProxy: () =>
    z
      .string()
      .default('false')
      .transform((value, context): boolean | string[] => {
        const text = value.trim().toLowerCase();
        if (['true', '1', 'yes'].includes(text)) return true;
        if (['false', '0', 'no', ''].includes(text)) return false;
        const entries = text.split(',').map((entry) => entry.trim());
        const bad = entries.find((entry) => !isTrustedProxyEntry(entry));
        if (bad !== undefined) {
          context.addIssue({
            code: 'custom',
            message: `"${bad}" is neither true, false, an address, a CIDR range nor loopback, linklocal or uniquelocal`,
          });
          return z.NEVER;
        }
        return entries;
      }),
};

const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isTrustedProxyEntry(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

/** What every service reads, whatever else it needs. */
export interface BaseServiceConfig {
  PORT: number;
  HOST: string;
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  SHUTDOWN_TIMEOUT_MS: number;
  STARTUP_TIMEOUT_MS: number;
  METRICS_PORT: number;
  SHUTDOWN_DELAY_MS: number;
  HEADERS_TIMEOUT_MS: number;
  REQUEST_TIMEOUT_MS: number;
  KEEP_ALIVE_TIMEOUT_MS: number;
}

/** Where a service serves its metrics by default: its own port plus this (3000 → 9000). */
export const METRICS_PORT_OFFSET = 6_000;

/** Variables every HTTP service reads. */
export function baseServiceConfig(defaultPort: number) {
  return {
    PORT: env.port(defaultPort),
    HOST: env.host(),
    LOG_LEVEL: env.logLevel(),
    SHUTDOWN_TIMEOUT_MS: env.positiveInt(10_000),
    /**
     * On SIGTERM, how long to keep serving with /ready at 503 before closing: long enough for whoever
     * routes to it (Swarm's DNS, a proxy's cached lookup, Kubernetes endpoints) to stop sending here.
     */
    SHUTDOWN_DELAY_MS: env.nonNegativeInt(0),
    /** How long a starting service waits for a dependency that does not answer yet (then exits 1). */
    STARTUP_TIMEOUT_MS: env.positiveInt(60_000),
    /** Prometheus metrics, on a port no client is given; 0 takes any free port. */
    METRICS_PORT: z.coerce
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(defaultPort + METRICS_PORT_OFFSET),
    /** Longest wait for a request's headers (then 408). */
    HEADERS_TIMEOUT_MS: env.positiveInt(5_000),
    /** Longest wait for a whole request, body included (then 408). */
    REQUEST_TIMEOUT_MS: env.positiveInt(30_000),
    /** How long an idle keep-alive connection stays open. */
    KEEP_ALIVE_TIMEOUT_MS: env.positiveInt(5_000),
  };
}

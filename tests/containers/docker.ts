import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the compose project directory and the images' build context. */
export const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Services of docker-compose.yml, the ones whose images this repository builds, and its Node ones. */
export const services = [
  'web',
  'gateway',
  'inventory',
  'billing',
  'vote',
  'worker',
  'result',
  'system',
  'predict',
  'inventory-db',
  'billing-db',
  'votes-db',
  'rabbit-queue',
  'redis',
] as const;
export const nodeServices = [
  'gateway',
  'inventory',
  'billing',
  'vote',
  'worker',
  'result',
  'system',
  'predict',
] as const;
export const builtServices = ['web', ...nodeServices] as const;
export type ServiceName = (typeof services)[number];

/** What the global setup hands to every test file (vitest `provide`/`inject`). */
export interface StackInfo {
  /** False when no Docker engine answers: the suites skip. */
  available: boolean;
  /** The compose command, e.g. `["docker", "compose"]` or `["docker-compose"]`. */
  compose: string[];
  project: string;
  gatewayUrl: string;
  gatewayPort: number;
  /** The dashboard, nginx of the web image, on its published port. */
  webUrl: string;
  webPort: number;
  envFile: string;
  version: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Resolve with the exit code instead of rejecting when the command fails. */
  allowFailure?: boolean;
  /** Called with every chunk of stdout, for streams too large to keep (docker save). */
  onStdout?: (chunk: Buffer) => void;
}

/** Runs a command without a shell; rejects naming the command and its stderr when it fails. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: options.env ?? process.env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => (options.onStdout ? options.onStdout(chunk) : stdout.push(chunk)));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = {
        code: code ?? 128,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      };
      if (result.code === 0 || options.allowFailure) return resolve(result);
      const why = signal ? `was killed (${signal}${signal === 'SIGKILL' ? ', timed out' : ''})` : `exited ${code}`;
      reject(new Error(`${[command, ...args].join(' ')} ${why}:\n${tail(result.stderr || result.stdout, 40)}`));
    });
  });
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function docker(args: string[], options?: RunOptions): Promise<RunResult> {
  return run('docker', args, options);
}

/**
 * The environment compose runs with: BuildKit on (cache mounts), and the test's own port. Every request
 * of the tests comes from one address (the host's end of the bridge), and the voting test alone sends
 * more than the default 1,000 a minute: the gateway's limit is raised, not turned off.
 */
export function composeEnv(stack: Pick<StackInfo, 'gatewayPort' | 'webPort'>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DOCKER_BUILDKIT: '1',
    COMPOSE_DOCKER_CLI_BUILD: '1',
    GATEWAY_PORT: String(stack.gatewayPort),
    WEB_PORT: String(stack.webPort),
    PUBLISH_ADDRESS: '127.0.0.1',
    RATE_LIMIT_MAX: '100000',
  };
}

export function compose(
  stack: Pick<StackInfo, 'compose' | 'project' | 'gatewayPort' | 'webPort'>,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const [command, ...prefix] = stack.compose;
  return run(command!, [...prefix, '-p', stack.project, ...args], {
    timeoutMs: 300_000,
    ...options,
    env: { ...composeEnv(stack), ...options.env },
  });
}

/**
 * The compose command to use: SHIPSHAPE_COMPOSE when set (CI sets it to the container lab's wrapper),
 * else `docker compose` (v2) when the CLI has it, else docker-compose (1.29 and later).
 */
export async function findCompose(): Promise<string[]> {
  if (process.env.SHIPSHAPE_COMPOSE) return process.env.SHIPSHAPE_COMPOSE.split(' ').filter(Boolean);
  const lab = path.resolve(repoRoot, '../shared/lab/compose');
  if (existsSync(lab)) return [lab];
  const v2 = await run('docker', ['compose', 'version'], { allowFailure: true, timeoutMs: 15_000 }).catch(() => null);
  if (v2?.code === 0) return ['docker', 'compose'];
  return ['docker-compose'];
}

/** Running containers of the project, by compose service name. */
export async function containers(stack: Pick<StackInfo, 'project'>): Promise<Map<string, string>> {
  const { stdout } = await docker([
    'ps',
    '--filter',
    `label=com.docker.compose.project=${stack.project}`,
    '--format',
    '{{.ID}} {{.Label "com.docker.compose.service"}}',
  ]);
  const byService = new Map<string, string>();
  for (const line of stdout.trim().split('\n').filter(Boolean)) {
    const [id, service] = line.split(' ');
    byService.set(service!, id!);
  }
  return byService;
}

export async function containerId(stack: Pick<StackInfo, 'project'>, service: ServiceName): Promise<string> {
  const id = (await containers(stack)).get(service);
  if (!id) throw new Error(`no running container for ${service} in project ${stack.project}`);
  return id;
}

export async function inspect<T = Record<string, unknown>>(ids: string[]): Promise<T[]> {
  const { stdout } = await docker(['inspect', ...ids]);
  return JSON.parse(stdout) as T[];
}

export interface ContainerState {
  Name: string;
  Args: string[];
  RestartCount: number;
  Config: {
    User: string;
    Labels: Record<string, string>;
    Cmd: string[] | null;
    Entrypoint: string[] | null;
    Healthcheck?: { Test: string[] };
  };
  State: { Status: string; ExitCode: number; Health?: { Status: string; Log?: { Output: string }[] } };
  Mounts: { Type: string; Name?: string; Destination: string }[];
  HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[] | null; SecurityOpt: string[] | null; Memory: number };
  NetworkSettings: {
    Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks: Record<string, { IPAddress: string }>;
  };
}

/** Waits until every service of the stack runs and reports healthy; describes the laggards on timeout. */
export async function waitForHealthy(
  stack: Pick<StackInfo, 'project'>,
  wanted: readonly ServiceName[] = services,
  timeoutMs = 240_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let status = new Map<string, string>();
  while (Date.now() < deadline) {
    const running = await containers(stack);
    status = new Map(wanted.map((service) => [service, running.has(service) ? 'starting' : 'not running']));
    const ids = wanted.map((service) => running.get(service)).filter((id): id is string => Boolean(id));
    if (ids.length > 0) {
      for (const state of await inspect<ContainerState>(ids)) {
        const service = state.Config.Labels['com.docker.compose.service']!;
        status.set(service, state.State.Health?.Status ?? state.State.Status);
      }
    }
    if ([...status.values()].every((s) => s === 'healthy')) return;
    await sleep(2_000);
  }
  const laggards = [...status].filter(([, s]) => s !== 'healthy').map(([name, s]) => `${name}: ${s}`);
  throw new Error(`stack ${stack.project} not healthy after ${timeoutMs / 1000}s (${laggards.join(', ')})`);
}

/**
 * Runs `redis-cli ARGS…` inside the stack's Redis container, authenticated by the password the container
 * has in its environment (REDISCLI_AUTH: the password stays off every command line). Answers the raw
 * replies, one line each (an empty string is an empty line), without the last newline.
 */
export async function redisCli(stack: Pick<StackInfo, 'project'>, args: string[]): Promise<string> {
  const { stdout } = await docker([
    'exec',
    await containerId(stack, 'redis'),
    'sh',
    '-c',
    'REDISCLI_AUTH="$REDIS_PASSWORD" exec redis-cli --no-auth-warning --raw "$@"',
    'redis-cli',
    ...args,
  ]);
  return stdout.replace(/\n$/, '');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than undefined; throws with `what` on timeout. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(500);
  }
  const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${cause}`);
}

/** KEY=value lines of an env file (comments and blank lines skipped). */
export function parseEnvFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) values.set(match[1]!, match[2]!.trim());
  }
  return values;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** A JSON request to the stack's published gateway port. */
export async function api<T = unknown>(
  stack: Pick<StackInfo, 'gatewayUrl'>,
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<HttpResponse<T>> {
  const response = await fetch(`${stack.gatewayUrl}${urlPath}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text, the assertion shows it
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getFreePort } from '@shipshape/testkit';

/**
 * A Redis server of the benchmark's own, as a vote needs it: the append-only file on and fsynced on
 * every write (`appendfsync always`), so a 202 costs what it costs in compose. The machine's Redis
 * runs without persistence, and a vote accepted there would be measured without its fsync. The folder
 * is a fresh one under the system's temporary directory (a disk here, not tmpfs: `df -T /tmp`);
 * `stop()` ends the server and removes the folder. `BENCH_REDIS_SERVER` names another binary.
 */
export async function startRedisServer({ binary = process.env.BENCH_REDIS_SERVER || 'redis-server' } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'shipshape-bench-redis-'));
  const port = await getFreePort();
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--logfile',
      '',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const spawned = new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await spawned;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${output.trim()}`);
      try {
        const client = await connectRedis(url);
        try {
          const [appendonly, appendfsync, version] = [
            (await client.command('CONFIG', 'GET', 'appendonly'))[1],
            (await client.command('CONFIG', 'GET', 'appendfsync'))[1],
            /redis_version:(\S+)/.exec(await client.command('INFO', 'server'))?.[1],
          ];
          if (appendonly !== 'yes' || appendfsync !== 'always') {
            throw new Error(`redis-server runs with appendonly ${appendonly}, appendfsync ${appendfsync}`);
          }
          return { url, port, dir, pid: child.pid, version, stop };
        } finally {
          client.close();
        }
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${url}: ${error.message}`);
        await sleep(50);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A minimal Redis client (RESP2, one connection, commands answered in order): enough for the
 * benchmark to look at its own stream (XLEN) without a dependency of its own.
 */
export function connectRedis(url) {
  const { hostname, port, password, username } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port || 6379), hostname);
    const waiting = []; // { resolve, reject }
    let buffer = Buffer.alloc(0);
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      for (;;) {
        const parsed = parseReply(buffer, 0);
        if (!parsed) break;
        buffer = buffer.subarray(parsed.end);
        const next = waiting.shift();
        if (parsed.value instanceof Error) next?.reject(parsed.value);
        else next?.resolve(parsed.value);
      }
    });
    socket.on('close', () => {
      for (const { reject: fail } of waiting.splice(0)) fail(new Error('redis connection closed'));
    });
    const client = {
      command(...args) {
        return new Promise((done, fail) => {
          waiting.push({ resolve: done, reject: fail });
          socket.write(
            `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(String(arg))}\r\n${arg}\r\n`).join('')}`,
          );
        });
      },
      close: () => socket.end(),
    };
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {}); // 'close' follows and fails what waits
      if (!password) return resolve(client);
      const credentials = [...(username ? [decodeURIComponent(username)] : []), decodeURIComponent(password)];
      client.command('AUTH', ...credentials).then(() => resolve(client), reject);
    });
  });
}

/** One RESP2 reply from `buffer` at `start`: { value, end }, or undefined while it is incomplete. */
function parseReply(buffer, start) {
  const lineEnd = buffer.indexOf('\r\n', start);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[start]);
  const line = buffer.toString('utf8', start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new Error(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items = [];
      let end = next;
      for (let index = 0; index < count; index++) {
        const item = parseReply(buffer, end);
        if (!item) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new Error(`unexpected reply from redis: ${JSON.stringify(buffer.toString('utf8', start, lineEnd))}`);
  }
}

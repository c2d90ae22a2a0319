import net from 'node:net';

// Below Linux's ephemeral range (32768-60999), where the kernel picks the local port of every
// outgoing connection and of every listen(0): a port taken from that range and handed to a child
// process could be used by one of the many client connections the tests open before the child binds it.
const FIRST_PORT = 20_000;
const PAST_LAST_PORT = 32_768;

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

// Ports this process has handed out: picked at random, two calls (a stack asks for ten at once) could
// otherwise draw the same one, both finding it free before either child binds it.
const handedOut = new Set<number>();

/**
 * A port that was free a moment ago on 127.0.0.1 and on every address, for a process a test is about
 * to start, picked at random between 20000 and 32767, and never one this process was given before.
 */
export async function getFreePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = FIRST_PORT + Math.floor(Math.random() * (PAST_LAST_PORT - FIRST_PORT));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if ((await isFree(port, '0.0.0.0')) && (await isFree(port, '127.0.0.1'))) return port;
  }
  throw new Error(`no free port between ${FIRST_PORT} and ${PAST_LAST_PORT - 1} after 200 tries`);
}

export interface TcpProxy {
  port: number;
  url(protocol: string, credentials?: string): string;
  /** Closes the listener and cuts every open connection: the target looks unreachable. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /**
   * Holds all traffic, as a network partition does: connections stay open and new ones are accepted,
   * but no byte passes either way (the peers see no reset, only silence).
   */
  freeze(): void;
  /** Lets the held traffic through again, in order, on the same connections. */
  thaw(): void;
  close(): Promise<void>;
}

/**
 * A real TCP relay to `target`, so a test can make a real server unreachable for one client (and
 * reachable again) without stopping the server that other suites share.
 */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let server: net.Server | undefined;
  let frozen = false;

  // Unpiped rather than only paused: pipe() resumes a paused source when its destination drains.
  const hold = ({ client, upstream }: { client: net.Socket; upstream: net.Socket }) => {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  };
  const pass = ({ client, upstream }: { client: net.Socket; upstream: net.Socket }) => {
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const port = await getFreePort();

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const created = net.createServer((client) => {
        const upstream = net.connect(targetPort, targetHost);
        const pair = { client, upstream };
        sockets.add(client).add(upstream);
        pairs.add(pair);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
          pairs.delete(pair);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        if (frozen) hold(pair);
        else pass(pair);
      });
      created.once('error', reject);
      created.listen(port, '127.0.0.1', () => resolve());
      server = created;
    });

  const cut = () =>
    new Promise<void>((resolve) => {
      frozen = false;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      pairs.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });

  await listen();
  return {
    port,
    url: (protocol, credentials) => `${protocol}://${credentials ? `${credentials}@` : ''}127.0.0.1:${port}`,
    cut,
    restore: listen,
    freeze() {
      if (frozen) return;
      frozen = true;
      for (const pair of pairs) hold(pair);
    },
    thaw() {
      if (!frozen) return;
      frozen = false;
      for (const pair of pairs) pass(pair);
    },
    close: cut,
  };
}

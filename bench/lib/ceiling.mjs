import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../ceiling-server.mjs', import.meta.url));

/** Starts the ceiling server in a child process; resolves with its URL and a stop function. */
export function startCeilingServer() {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    const onExit = (code) => reject(new Error(`the ceiling server exited with ${code} before listening`));
    child.once('error', reject);
    child.once('exit', onExit);
    child.once('message', ({ port }) => {
      child.off('exit', onExit);
      resolve({
        url: `http://127.0.0.1:${port}`,
        pid: child.pid,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

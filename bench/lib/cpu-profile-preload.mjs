/**
 * Loaded into a service with NODE_OPTIONS=--import (Node 20 does not take --cpu-prof there): profiles
 * the whole process and writes a .cpuprofile into BENCH_PROFILE_DIR when it exits, like --cpu-prof.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  // A same-thread inspector session answers synchronously, so this works inside 'exit'.
  process.once('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      const file = path.join(
        dir,
        `${path.basename(path.dirname(path.dirname(process.argv[1])))}-${process.pid}.cpuprofile`,
      );
      writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}

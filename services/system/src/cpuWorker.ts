/**
 * One busy thread of a CPU hog: computes until its end time, then returns, which ends the thread.
 * It yields to nothing on purpose: the point is to use a whole core until the cgroup's quota stops it.
 */
import { workerData } from 'node:worker_threads';

const { endsAtMs } = workerData as { endsAtMs: number };
let sink = 0;
while (Date.now() < endsAtMs) {
  // A batch between clock reads, so that the thread spends its time computing, not asking the time.
  for (let i = 1; i < 200_000; i++) sink += Math.sqrt(i);
}
// Used, so that no optimiser may drop the loop as dead code.
if (sink < 0) console.log(sink);

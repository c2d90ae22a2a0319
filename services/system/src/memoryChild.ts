/**
 * The memory hog's child process: `node memoryChild.js <megabytes> <seconds> <stepMegabytes> <stepMs>`.
 * Allocates and touches `stepMegabytes` every `stepMs` up to `megabytes` (MiB), reporting the bytes so
 * far over IPC, holds them until `seconds` are over, then exits 0. Over the container's memory limit the
 * kernel's OOM killer ends it first.
 */
import { writeFileSync } from 'node:fs';

const MiB = 1024 * 1024;
const [megabytes, seconds, stepMegabytes, stepMs] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
];

// The highest OOM score there is, so that the kernel picks this process and not the service. Raising
// one's own score needs no privilege; where /proc is not there (not Linux) the hog still runs.
try {
  writeFileSync('/proc/self/oom_score_adj', '1000');
} catch {
  // not Linux, or /proc read-only: the child is still the largest process, the likeliest victim
}

const target = megabytes * MiB;
const held: Buffer[] = [];
let allocated = 0;
const step = setInterval(() => {
  const size = Math.min(stepMegabytes * MiB, target - allocated);
  // Filled with a non-zero byte, so that every page is written and counted, not merely reserved.
  held.push(Buffer.alloc(size, 0x5a));
  allocated += size;
  process.send?.({ allocatedBytes: allocated });
  if (allocated >= target) clearInterval(step);
}, stepMs);

setTimeout(() => process.exit(0), seconds * 1000);
// The service is gone (or closed the channel): a hog has no reason to outlive it.
process.on('disconnect', () => process.exit(0));

import { setTimeout as sleep } from 'node:timers/promises';
import { describeFailures, runLoad } from './load.mjs';
import { formatCount } from './progress.mjs';

/**
 * The measured part of an end-to-end scenario (orders.e2e, votes.e2e): posts `load` (runLoad options,
 * `amount` of them) while polling `countSinceStart` every `pollMs`, then waits until every post
 * answered 2xx is counted, giving up only when nothing new was counted for a whole minute. CPU is
 * accounted from the first post to the last count. `noun` names what is counted in the progress line
 * and the notes ("stored", "counted"); `phase` is the progress line's word while it waits.
 *
 * perSecond = counted / (the first poll that saw all − the first post). p50/p99: per item, from its
 * 202 to the first poll that saw it, pairing the k-th 202 with the k-th counted item — as fine as
 * the poll interval.
 */
export async function postUntilCounted(ctx, { label, load, countSinceStart, pollMs, noun, phase }) {
  const { progress } = ctx;
  const samples = []; // [time, counted since the start]
  const acceptedAt = [];
  let posting = true;
  let polling = true;
  let pollError;
  const poller = (async () => {
    while (polling) {
      try {
        samples.push([Date.now(), await countSinceStart()]);
      } catch (error) {
        pollError = error;
      }
      if (!posting && samples.length) {
        progress.update(
          `  ${label.padEnd(14)} ${phase.padEnd(10)} ${formatCount(samples.at(-1)[1]).padStart(15)} ${noun}`,
        );
      }
      await sleep(pollMs);
    }
  })();

  await ctx.cpu.start();
  const startedAt = Date.now();
  const run = await runLoad({ ...load, label, progress, phase: 'posting', onSuccess: (time) => acceptedAt.push(time) });
  posting = false;
  const accepted = acceptedAt.length;

  let lastProgressAt = Date.now();
  let lastCounted = -1;
  while (accepted > 0) {
    const counted = samples.at(-1)?.[1] ?? 0;
    if (counted >= accepted) break;
    if (counted !== lastCounted) {
      lastCounted = counted;
      lastProgressAt = Date.now();
    } else if (Date.now() - lastProgressAt > 60_000) {
      break;
    }
    await sleep(pollMs);
  }
  polling = false;
  const cpuSeconds = await ctx.cpu.stop(ctx.scenario.involves);
  await poller;
  progress.clear();

  const counted = samples.at(-1)?.[1] ?? 0;
  const done = samples.find(([, count]) => count >= accepted) ?? samples.at(-1);
  const seconds = ((done?.[0] ?? Date.now()) - startedAt) / 1_000;
  const latencies = estimateLatencies(acceptedAt, samples);
  const failures = [describeFailures(run)];
  if (counted < accepted) failures.push(`INCOMPLETE: ${formatCount(counted)} of ${formatCount(accepted)} ${noun}`);
  if (counted > accepted) failures.push(`${formatCount(counted - accepted)} more ${noun} than answered 202`);
  return {
    accepted,
    counted,
    cpuSeconds,
    pollError,
    failures,
    result: {
      perSecond: seconds > 0 ? Math.min(counted, accepted) / seconds : 0,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      ok: accepted,
      non2xx: run.non2xx,
      errors: run.errors,
      durationSeconds: seconds,
      acceptPerSecond: accepted / ((acceptedAt.at(-1) - startedAt) / 1_000 || 1),
    },
  };
}

function estimateLatencies(acceptedAt, samples) {
  const latencies = [];
  let sample = 0;
  for (let k = 0; k < acceptedAt.length; k++) {
    while (sample < samples.length && samples[sample][1] < k + 1) sample++;
    if (sample === samples.length) break;
    latencies.push(Math.max(0, samples[sample][0] - acceptedAt[k]));
  }
  return latencies.sort((a, b) => a - b);
}

export function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

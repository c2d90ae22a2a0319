/**
 * A latency histogram with 10 µs buckets below 10 ms and 1 ms buckets up to 60 s. autocannon's own
 * histogram keeps whole milliseconds, which reads as "p50 0 ms" for anything fast; this one is cheap
 * enough to feed from every response.
 */
export class LatencyHistogram {
  #fine = new Uint32Array(1_000); // [0, 10) ms by 10 µs
  #coarse = new Uint32Array(60_000); // [10 ms, 60 s) by 1 ms, the last bucket takes the rest
  count = 0;

  record(ms) {
    this.count++;
    if (ms < 10) this.#fine[Math.max(0, Math.floor(ms * 100))]++;
    else this.#coarse[Math.min(this.#coarse.length - 1, Math.floor(ms))]++;
  }

  /** The value below which a fraction `p` of the recorded latencies lie (bucket midpoint), in ms. */
  percentile(p) {
    if (!this.count) return null;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (let bucket = 0; bucket < this.#fine.length; bucket++) {
      seen += this.#fine[bucket];
      if (seen >= rank) return (bucket + 0.5) / 100;
    }
    for (let bucket = 10; bucket < this.#coarse.length; bucket++) {
      seen += this.#coarse[bucket];
      if (seen >= rank) return bucket + 0.5;
    }
    return this.#coarse.length;
  }
}

import { readdir, readFile } from 'node:fs/promises';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the project targets

/**
 * Where the CPU time of a run went, per process group: the services (by pid), the PostgreSQL backends
 * serving the benchmark's own databases (by the database name in their title) plus the server's
 * WAL writer, the RabbitMQ node (shared with anything else using it) and the load generator itself.
 * Read from /proc, so Linux only; elsewhere it answers undefined and the figures go without it.
 */
export function createCpuAccounting({ services = {}, databases = [] } = {}) {
  if (process.platform !== 'linux') return { start: async () => {}, stop: async () => undefined };

  // Without databases of our own (a --target stack) the servers are not ours to account for.
  const servers = databases.length > 0;
  const groupOf = (pid, comm, cmdline) => {
    for (const [name, servicePid] of Object.entries(services)) if (servicePid === pid) return name;
    if (comm === 'postgres') {
      if (databases.some((database) => cmdline.includes(` ${database} `))) return 'postgres';
      if (/walwriter|background writer|checkpointer/.test(cmdline)) return 'postgres';
      return undefined;
    }
    if (comm === 'beam.smp') return 'rabbitmq';
    return undefined;
  };

  const snapshot = async () => {
    const ticks = new Map(); // pid → [group, ticks]
    const entries = await readdir('/proc').catch(() => []);
    await Promise.all(
      entries
        .filter((entry) => /^\d+$/.test(entry))
        .map(async (entry) => {
          try {
            const pid = Number(entry);
            const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
            const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
            const server = servers && (comm === 'postgres' || comm === 'beam.smp');
            if (!Object.values(services).includes(pid) && !server) return;
            const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ');
            const group = groupOf(pid, comm, ` ${cmdline} `);
            if (!group) return;
            const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            ticks.set(pid, [group, Number(fields[11]) + Number(fields[12])]); // utime + stime
          } catch {
            // the process ended meanwhile
          }
        }),
    );
    return ticks;
  };

  let before;
  let selfBefore;
  return {
    async start() {
      before = await snapshot();
      selfBefore = process.cpuUsage();
    },
    /** CPU seconds per group since start(), for the groups `involved` (all when not given). */
    async stop(involved) {
      const self = process.cpuUsage(selfBefore);
      const after = await snapshot();
      const seconds = { loadGenerator: (self.user + self.system) / 1e6 };
      for (const [pid, [group, ticks]] of after) {
        const used = (ticks - (before.get(pid)?.[1] ?? 0)) / TICKS_PER_SECOND;
        seconds[group] = (seconds[group] ?? 0) + used;
      }
      if (!involved) return seconds;
      return Object.fromEntries(Object.entries(seconds).filter(([group]) => involved.includes(group)));
    },
  };
}

/** CPU microseconds per unit of work (request or order), per group, rounded. */
export function perUnit(seconds, units) {
  if (!seconds || !units) return undefined;
  return Object.fromEntries(
    Object.entries(seconds)
      .filter(([, value]) => value > 0)
      .map(([group, value]) => [group, Math.round((value * 1e6) / units)]),
  );
}

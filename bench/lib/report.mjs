import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

/** What the figures came from: they only mean something next to the machine and the load on it. */
export function describeMachine(extra = {}) {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
    ...extra,
  };
}

const round = (value, digits) => (value == null ? null : Math.round(value * 10 ** digits) / 10 ** digits);

/** The report's scenario entries: the five fields the issue names first, then what explains them. */
export function toEntries(results) {
  const ceiling = results.find((result) => result.name === 'ceiling');
  return results.map(({ name, perSecond, p50Ms, p99Ms, ...rest }) => ({
    name,
    perSecond: round(perSecond, 1),
    p50Ms: round(p50Ms, 2),
    p99Ms: round(p99Ms, 2),
    // A scenario that measures a latency (results.fanout) has no rate, so no ratio.
    ratio: ceiling?.perSecond && perSecond != null ? round(perSecond / ceiling.perSecond, 3) : null,
    ...Object.fromEntries(
      Object.entries(rest).map(([key, value]) => [key, typeof value === 'number' ? round(value, 2) : value]),
    ),
  }));
}

export function formatTable(entries) {
  const rows = [
    ['scenario', 'per second', 'p50 ms', 'p99 ms', 'ratio', 'notes'],
    ...entries.map((entry) => [
      entry.name,
      entry.perSecond == null ? '-' : entry.perSecond.toLocaleString('en-US', { maximumFractionDigits: 0 }),
      entry.p50Ms == null ? '-' : String(entry.p50Ms),
      entry.p99Ms == null ? '-' : String(entry.p99Ms),
      entry.ratio == null ? '-' : entry.ratio.toFixed(3),
      entry.notes ?? '',
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row) =>
    row
      .map((cell, column) =>
        column === 0 || column === row.length - 1 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]),
      )
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** Writes latest.json and a dated copy; answers both paths. */
export async function writeResults(report, now = new Date()) {
  await mkdir(resultsDir, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  // ISO 8601 basic time (no colons), so the name is valid on every file system.
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '');
  const latest = `${resultsDir}latest.json`;
  const dated = `${resultsDir}${stamp}.json`;
  await writeFile(latest, json);
  await writeFile(dated, json);
  return { latest, dated };
}

/**
 * CPU µs per unit of work by process (request, order, vote, or for results.fanout each event a client
 * received), for the scenarios that have it; '' when none has.
 */
export function formatCpuTable(entries) {
  const perUnit = (entry) =>
    entry.cpuMicrosPerRequest ??
    entry.cpuMicrosPerOrder ??
    entry.cpuMicrosPerVote ??
    entry.cpuMicrosPerDelivery ??
    entry.cpuMicrosPerInstance;
  const measured = entries.filter(perUnit);
  if (!measured.length) return '';
  const groups = [
    'loadGenerator',
    'ceilingServer',
    'gateway',
    'inventory',
    'billing',
    'vote',
    'worker',
    'result',
    'predict',
    'postgres',
    'rabbitmq',
    'redis',
  ].filter((group) => measured.some((entry) => perUnit(entry)[group]));
  const rows = [
    ['CPU µs per unit', ...groups, 'total'],
    ...measured.map((entry) => {
      const cpu = perUnit(entry);
      const total = groups.reduce((sum, group) => sum + (cpu[group] ?? 0), 0);
      return [entry.name, ...groups.map((group) => String(cpu[group] ?? '-')), String(total)];
    }),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[column]))).join('  '),
    )
    .join('\n');
}

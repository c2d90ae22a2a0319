import type { SystemSample } from '@shipshape/contracts';

/**
 * The arithmetic behind the system page's gauges, apart from React so that it is tested on its own.
 * A gauge measures use against the container's limit; without a limit (null), against what the host
 * has, and it says so.
 */

export type Level = 'ok' | 'high' | 'full';

export interface Gauge {
  /** Use as a share of the scale, 0 to 1 (clamped); null when use is not known yet. */
  fraction: number | null;
  /** Where the reservation sits on the scale, 0 to 1; null without one. */
  reservation: number | null;
  /** Whether the scale is the container's limit (true) or the host's size (no limit). */
  limited: boolean;
  level: Level;
  /** The figure in words: "0.42 of 0.50 cores". */
  text: string;
  /** The limit in words: "limit 0.50 cores", "no limit (host: 2 cores)". */
  limitText: string;
  /** The reservation in words, when there is one. */
  reservationText: string | null;
}

/** `used / limit`, or null when either is unknown or the limit is not positive. Not clamped. */
export function fractionOfLimit(used: number | null, limit: number | null): number | null {
  if (used === null || limit === null || !(limit > 0)) return null;
  return used / limit;
}

export function levelOf(fraction: number | null): Level {
  if (fraction === null) return 'ok';
  if (fraction >= 0.95) return 'full';
  return fraction >= 0.8 ? 'high' : 'ok';
}

const clamp = (value: number) => Math.min(1, Math.max(0, value));

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}

function formatCores(cores: number): string {
  return cores.toFixed(2);
}

export function cpuGauge(usageCores: number | null, limitCores: number | null, hostCores: number): Gauge {
  const scale = limitCores ?? hostCores;
  const raw = fractionOfLimit(usageCores, scale);
  const used = usageCores === null ? '…' : formatCores(usageCores);
  return {
    fraction: raw === null ? null : clamp(raw),
    reservation: null,
    limited: limitCores !== null,
    level: levelOf(raw),
    text: `${used} of ${formatCores(scale)} cores`,
    limitText:
      limitCores === null
        ? `no limit (host: ${hostCores} ${hostCores === 1 ? 'core' : 'cores'})`
        : `limit ${formatCores(limitCores)} cores`,
    reservationText: null,
  };
}

export function memoryGauge(
  usageBytes: number | null,
  limitBytes: number | null,
  reservationBytes: number | null,
  hostBytes: number,
): Gauge {
  const scale = limitBytes ?? hostBytes;
  const raw = fractionOfLimit(usageBytes, scale);
  // A reservation of 0 is the kernel's "none"; one above the scale is drawn at its end.
  const reserved = reservationBytes === null || reservationBytes === 0 ? null : reservationBytes;
  const reservation = fractionOfLimit(reserved, scale);
  return {
    fraction: raw === null ? null : clamp(raw),
    reservation: reservation === null ? null : clamp(reservation),
    limited: limitBytes !== null,
    level: levelOf(raw),
    text: `${usageBytes === null ? '…' : formatBytes(usageBytes)} of ${formatBytes(scale)}`,
    limitText: limitBytes === null ? `no limit (host: ${formatBytes(hostBytes)})` : `limit ${formatBytes(limitBytes)}`,
    reservationText: reserved === null ? null : `reservation ${formatBytes(reserved)}`,
  };
}

export interface Increase {
  throttledPeriods: number;
  throttledSeconds: number;
  oomKills: number;
}

/** What grew between two samples: throttling and OOM kills, the events the page makes visible. */
export function increases(previous: SystemSample | null, next: SystemSample): Increase {
  const grew = (before: number | null | undefined, after: number | null) =>
    before === null || before === undefined || after === null ? 0 : Math.max(0, after - before);
  return {
    throttledPeriods: grew(previous?.cpu.throttledPeriods, next.cpu.throttledPeriods),
    throttledSeconds: grew(previous?.cpu.throttledSeconds, next.cpu.throttledSeconds),
    oomKills: grew(previous?.memory.oomKills, next.memory.oomKills),
  };
}

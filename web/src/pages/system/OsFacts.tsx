import type { SystemInfo } from '@shipshape/contracts';
import { formatBytes } from './gauges';

function duration(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  return `${minutes} min ${Math.floor(seconds % 60)} s`;
}

export function OsFacts({ system }: { system: SystemInfo }) {
  const { container } = system;
  const facts: Array<[string, string]> = [
    ['Host name', system.hostname],
    ['OS', system.os.name ?? system.os.platform],
    ['Kernel', `${system.os.kernel} (${system.os.arch})`],
    ['Node.js', system.node],
    ['CPUs', `${system.cpu.count}${system.cpu.model ? ` × ${system.cpu.model}` : ''}`],
    ['Load average', system.cpu.loadAverage.map((load) => load.toFixed(2)).join(' · ')],
    ['Host memory', `${formatBytes(system.memory.totalBytes)} (${formatBytes(system.memory.freeBytes)} free)`],
    ['Uptime', `host ${duration(system.uptimeSeconds.host)}, service ${duration(system.uptimeSeconds.process)}`],
    ['cgroup', container.cgroup ?? 'none found'],
    ['CPU weight', container.cpu.weight === null ? '—' : String(container.cpu.weight)],
    [
      'Processes',
      container.pids.current === null
        ? '—'
        : `${container.pids.current} of ${container.pids.limit === null ? 'no limit' : container.pids.limit}`,
    ],
    [
      'Service process',
      `pid ${system.process.pid}, uid ${system.process.uid ?? '—'}, ${formatBytes(system.process.rssBytes)} resident`,
    ],
  ];
  return (
    <div className="card">
      <h2>Operating system</h2>
      <dl className="facts">
        {facts.map(([name, value]) => (
          <div key={name} className="contents">
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

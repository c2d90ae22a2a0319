import { SYSTEM_SAMPLE_EVENT, type SystemInfo, type SystemSample } from '@shipshape/contracts';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { getJson } from '../../api/client';
import { ErrorNote, Loading } from '../../components/Status';
import { StreamBadge } from '../../components/StreamBadge';
import { usePageTitle } from '../../components/usePageTitle';
import { useEventStream } from '../../useEventStream';
import { GaugeCard } from './GaugeCard';
import { cpuGauge, increases, memoryGauge } from './gauges';
import { HogControls } from './HogControls';
import { LiveChart, type Point } from './LiveChart';
import { OsFacts } from './OsFacts';

/** Three minutes of samples, one a second. */
const HISTORY = 180;

interface Live {
  samples: SystemSample[];
  /** When throttling or an OOM kill last grew, and by how much. */
  throttled: { at: string; periods: number; seconds: number } | null;
  oomKilled: { at: string; kills: number } | null;
}

export default function SystemPage() {
  usePageTitle('System');
  const info = useQuery({
    queryKey: ['system'],
    queryFn: ({ signal }) => getJson<SystemInfo>('/api/system', signal),
    refetchInterval: 30_000,
  });
  const [live, setLive] = useState<Live>({ samples: [], throttled: null, oomKilled: null });
  const stream = useEventStream<SystemSample>(
    '/api/system/stream',
    SYSTEM_SAMPLE_EVENT,
    (sample) =>
      setLive((current) => {
        const grew = increases(current.samples.at(-1) ?? null, sample);
        return {
          samples: [...current.samples, sample].slice(-HISTORY),
          throttled:
            grew.throttledPeriods > 0
              ? { at: sample.at, periods: grew.throttledPeriods, seconds: grew.throttledSeconds }
              : current.throttled,
          oomKilled: grew.oomKills > 0 ? { at: sample.at, kills: grew.oomKills } : current.oomKilled,
        };
      }),
    5_000,
  );

  if (info.isPending) return <Loading what="the system" />;
  if (info.isError) return <ErrorNote error={info.error} what="the system" onRetry={() => void info.refetch()} />;

  const system = info.data;
  const latest = live.samples.at(-1);
  const cpu = latest?.cpu ?? system.container.cpu;
  const memory = latest?.memory ?? system.container.memory;
  const cpuView = cpuGauge(cpu.usageCoresNow, cpu.limitCores, system.cpu.count);
  const memoryView = memoryGauge(
    memory.usageBytes,
    memory.limitBytes,
    memory.reservationBytes,
    system.memory.totalBytes,
  );
  const newest = latest ? Date.parse(latest.at) : 0;
  const points: Point[] = live.samples.map((sample) => ({
    t: (Date.parse(sample.at) - newest) / 1000,
    cores: sample.cpu.usageCoresNow,
    mebibytes: sample.memory.usageBytes === null ? null : sample.memory.usageBytes / 2 ** 20,
  }));
  const hogs = latest?.hogs ?? [];

  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>System</h1>
          <p>What the system service's container sees: its OS, and the CPU and memory limits the kernel holds it to.</p>
        </div>
        <StreamBadge state={stream} />
      </div>

      {live.oomKilled && (
        <p className="notice bad alert-flash" role="alert" key={`oom-${live.oomKilled.at}`}>
          <strong>✕ Out of memory.</strong> The kernel killed {live.oomKilled.kills}{' '}
          {live.oomKilled.kills === 1 ? 'process' : 'processes'} at the memory limit (
          {new Date(live.oomKilled.at).toLocaleTimeString('en-GB')}). Total OOM kills: {memory.oomKills ?? '?'}.
        </p>
      )}
      {live.throttled && (
        <p className="notice warn alert-flash" role="status" key={`throttle-${live.throttled.at}`}>
          <strong>! CPU throttled.</strong> {live.throttled.periods} periods ({live.throttled.seconds.toFixed(2)} s)
          held back by the CPU limit at {new Date(live.throttled.at).toLocaleTimeString('en-GB')}. In all:{' '}
          {cpu.throttledPeriods ?? '?'} periods.
        </p>
      )}

      <div className="grid">
        <GaugeCard title="CPU" gauge={cpuView} />
        <GaugeCard title="Memory" gauge={memoryView} />
      </div>

      <div className="card mt">
        <div className="card-head">
          <h2>The last three minutes</h2>
          <span className="muted small">{live.samples.length} samples</span>
        </div>
        {live.samples.length === 0 ? (
          <Loading what="samples" />
        ) : (
          <LiveChart
            points={points}
            summary={`CPU and memory over the last ${live.samples.length} seconds: now ${cpuView.text}, memory ${memoryView.text}`}
          />
        )}
      </div>

      <div className="grid two mt">
        <HogControls settings={system.hogs} hogs={hogs} />
        <OsFacts system={system} />
      </div>
    </section>
  );
}

import {
  Chart as ChartJS,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartData,
  type ChartOptions,
} from 'chart.js';
import { Line } from 'react-chartjs-2';

ChartJS.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Legend, Filler);

export interface Point {
  /** Seconds before the newest sample (0 or negative). */
  t: number;
  cores: number | null;
  mebibytes: number | null;
}

const options: ChartOptions<'line'> = {
  animation: false,
  maintainAspectRatio: false,
  parsing: false,
  normalized: true,
  interaction: { mode: 'index', intersect: false },
  elements: { point: { radius: 0 }, line: { borderWidth: 2, tension: 0.2 } },
  scales: {
    x: { type: 'linear', min: -180, max: 0, title: { display: true, text: 'seconds ago' }, ticks: { stepSize: 30 } },
    cores: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'CPU cores' } },
    memory: {
      type: 'linear',
      position: 'right',
      beginAtZero: true,
      title: { display: true, text: 'memory MiB' },
      grid: { drawOnChartArea: false },
    },
  },
  plugins: { legend: { position: 'bottom' } },
};

/** CPU cores and memory of the last three minutes, one point a second. */
export function LiveChart({ points, summary }: { points: Point[]; summary: string }) {
  const data: ChartData<'line', Array<{ x: number; y: number | null }>> = {
    datasets: [
      {
        label: 'CPU cores',
        yAxisID: 'cores',
        data: points.map((point) => ({ x: point.t, y: point.cores })),
        borderColor: '#0f5f7a',
        backgroundColor: 'rgba(15, 95, 122, 0.12)',
        fill: true,
      },
      {
        label: 'Memory MiB',
        yAxisID: 'memory',
        data: points.map((point) => ({ x: point.t, y: point.mebibytes })),
        borderColor: '#b86e00',
        backgroundColor: 'rgba(184, 110, 0, 0.1)',
        borderDash: [6, 3],
      },
    ],
  };
  return (
    <div className="chart-box">
      <Line data={data} options={options} role="img" aria-label={summary} />
    </div>
  );
}

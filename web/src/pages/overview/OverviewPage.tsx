import type { Results, Status } from '@shipshape/contracts';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, getJson, totalCount } from '../../api/client';
import { ServiceStateBadge } from '../../components/ServiceState';
import { Empty, ErrorNote, Loading } from '../../components/Status';
import { usePageTitle } from '../../components/usePageTitle';
import { TableWrap } from '../../components/TableWrap';

async function countOf(path: string, signal: AbortSignal): Promise<number> {
  return totalCount((await api<unknown[]>(path, { signal })).headers);
}

function Count({ to, label, query }: { to: string; label: string; query: ReturnType<typeof useCount> }) {
  return (
    <Link to={to} className="card stat">
      <div className="figure" aria-live="polite">
        {query.isPending ? '…' : query.isError ? '—' : query.data.toLocaleString('en')}
      </div>
      <div className="caption">
        {label}
        {query.isError && <span className="field-error"> (unavailable)</span>}
      </div>
    </Link>
  );
}

function useCount(key: string, fetcher: (signal: AbortSignal) => Promise<number>) {
  return useQuery({ queryKey: ['count', key], queryFn: ({ signal }) => fetcher(signal), refetchInterval: 5_000 });
}

export function OverviewPage() {
  usePageTitle('Overview');
  const status = useQuery({
    queryKey: ['status'],
    queryFn: ({ signal }) => getJson<Status>('/api/status', signal),
    refetchInterval: 3_000,
  });
  const movies = useCount('movies', (signal) => countOf('/api/movies?limit=1', signal));
  const orders = useCount('orders', (signal) => countOf('/api/orders?limit=1', signal));
  const votes = useCount('votes', async (signal) => (await getJson<Results>('/api/results', signal)).total);
  const services = status.data?.services ?? [];
  const up = services.filter((service) => service.state === 'up').length;

  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Overview</h1>
          <p>Every service behind the gateway, and what the applications hold right now.</p>
        </div>
        <a className="button secondary" href="/docs">
          API documentation
        </a>
      </div>

      <div className="grid" role="group" aria-label="Counts">
        <Count to="/movies" label="movies in the inventory" query={movies} />
        <Count to="/orders" label="orders stored by billing" query={orders} />
        <Count to="/vote" label="voters counted" query={votes} />
      </div>

      <div className="card mt">
        <div className="card-head">
          <h2>Services</h2>
          {status.data && (
            <span className="muted small" aria-live="polite">
              {up} of {services.length} up · checked {new Date(status.data.checkedAt).toLocaleTimeString('en-GB')}
            </span>
          )}
        </div>
        {status.isPending ? (
          <Loading what="the services' states" />
        ) : status.isError ? (
          <ErrorNote error={status.error} what="the services' states" onRetry={() => void status.refetch()} />
        ) : services.length === 0 ? (
          <Empty>The gateway knows no services.</Empty>
        ) : (
          <TableWrap label="Services">
            <table>
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col">State</th>
                  <th scope="col">Version</th>
                  <th scope="col" className="num">
                    Answered in
                  </th>
                  <th scope="col" className="hide-small">
                    Checks
                  </th>
                </tr>
              </thead>
              <tbody>
                {services.map((service) => (
                  <tr key={service.name}>
                    <th scope="row">{service.name}</th>
                    <td>
                      <ServiceStateBadge state={service.state} />
                      {service.error && <div className="small muted">{service.error}</div>}
                    </td>
                    <td className="mono">{service.version ?? '—'}</td>
                    <td className="num">{service.latencyMs === null ? '—' : `${Math.round(service.latencyMs)} ms`}</td>
                    <td className="hide-small small">
                      {Object.entries(service.checks)
                        .map(([name, result]) => `${name}: ${result}`)
                        .join(', ') || '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </div>
    </section>
  );
}

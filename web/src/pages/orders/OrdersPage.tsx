import type { Order } from '@shipshape/contracts';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, totalCount } from '../../api/client';
import { Empty, ErrorNote, Loading } from '../../components/Status';
import { usePageTitle } from '../../components/usePageTitle';
import { OrderForm, type Accepted } from './OrderForm';
import { TableWrap } from '../../components/TableWrap';

const LIST_SIZE = 20;

async function fetchOrders(signal: AbortSignal) {
  const answer = await api<Order[]>(`/api/orders?limit=${LIST_SIZE}`, { signal });
  return { orders: answer.body, total: totalCount(answer.headers) };
}

const money = new Intl.NumberFormat('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function OrdersPage() {
  usePageTitle('Orders');
  const [accepted, setAccepted] = useState<Accepted | null>(null);
  const list = useQuery({
    queryKey: ['orders'],
    queryFn: ({ signal }) => fetchOrders(signal),
    // Every second while the order just placed is on its way through the queue; then at leisure.
    refetchInterval: (query) =>
      accepted && !query.state.data?.orders.some((order) => order.message_id === accepted.id) ? 1_000 : 10_000,
  });
  const orders = list.data?.orders ?? [];
  const stored = accepted !== null && orders.some((order) => order.message_id === accepted.id);

  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Orders</h1>
          <p>The gateway puts each order on a durable RabbitMQ queue; billing stores it once.</p>
        </div>
      </div>
      <div className="stack">
        <div className="card">
          <OrderForm onAccepted={setAccepted} />
          {accepted && (
            <div className={stored ? 'notice ok' : 'notice warn'} role="status">
              <strong>{accepted.status} Accepted.</strong> {accepted.message} Order id{' '}
              <code data-testid="order-id">{accepted.id}</code>.{' '}
              {stored ? '✓ Stored by billing: it is in the list below.' : '… Waiting for billing to store it.'}
            </div>
          )}
        </div>
        <div className="card">
          <div className="card-head">
            <h2>Stored orders, newest first</h2>
            {list.data && <span className="muted small">{list.data.total.toLocaleString('en')} in all</span>}
          </div>
          {list.isPending ? (
            <Loading what="orders" />
          ) : list.isError ? (
            <ErrorNote error={list.error} what="the orders" onRetry={() => void list.refetch()} />
          ) : orders.length === 0 ? (
            <Empty>No orders stored yet. Place one above.</Empty>
          ) : (
            <TableWrap label="Stored orders">
              <table>
                <thead>
                  <tr>
                    <th scope="col" className="num">
                      #
                    </th>
                    <th scope="col">Order id</th>
                    <th scope="col" className="num">
                      User
                    </th>
                    <th scope="col" className="num">
                      Items
                    </th>
                    <th scope="col" className="num">
                      Total
                    </th>
                    <th scope="col" className="hide-small">
                      Stored at
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {orders.map((order) => (
                    <tr key={order.id} className={order.message_id === accepted?.id ? 'fresh' : undefined}>
                      <td className="num">{order.id}</td>
                      <td className="mono small">
                        {order.message_id === accepted?.id && <span className="visually-hidden">Just placed: </span>}
                        {order.message_id}
                      </td>
                      <td className="num">{order.user_id}</td>
                      <td className="num">{order.number_of_items}</td>
                      <td className="num">{money.format(order.total_amount)}</td>
                      <td className="hide-small small">{new Date(order.created_at).toLocaleString('en-GB')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </div>
      </div>
    </section>
  );
}

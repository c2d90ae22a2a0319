import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { OrderForm } from '../src/pages/orders/OrderForm';
import { renderWithQuery, stubFetch } from './render';

async function fill(values: { user?: string; items?: string; total?: string }) {
  for (const [label, value] of [
    ['User id', values.user],
    ['Number of items', values.items],
    ['Total amount', values.total],
  ] as const) {
    if (value === undefined) continue;
    await userEvent.clear(screen.getByLabelText(label));
    await userEvent.type(screen.getByLabelText(label), value);
  }
}

const place = () => userEvent.click(screen.getByRole('button', { name: 'Place order' }));

describe('OrderForm', () => {
  it('posts the order with an idempotency key and hands over the 202 and its id', async () => {
    const calls = stubFetch({ status: 202, body: { message: 'Order accepted', id: 'abc-1' } });
    const onAccepted = vi.fn();
    renderWithQuery(<OrderForm onAccepted={onAccepted} />);
    await fill({ user: '3', items: '5', total: '180' });
    await place();
    await waitFor(() =>
      expect(onAccepted).toHaveBeenCalledWith({ status: 202, message: 'Order accepted', id: 'abc-1' }),
    );
    expect(calls[0]).toMatchObject({
      url: '/api/billing',
      method: 'POST',
      body: { user_id: '3', number_of_items: '5', total_amount: '180' },
    });
    expect(calls[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('shows the API’s 400 next to the field it names', async () => {
    stubFetch({
      status: 400,
      body: {
        error: 'Invalid order',
        details: [{ path: 'body.user_id', message: 'user_id must be at most 2147483647' }],
      },
    });
    renderWithQuery(<OrderForm onAccepted={() => {}} />);
    await place();
    await waitFor(() =>
      expect(screen.getByLabelText('User id')).toHaveAccessibleDescription(/user_id must be at most 2147483647/),
    );
  });

  it('refuses a third decimal with the shared schema, before sending', async () => {
    const calls = stubFetch();
    renderWithQuery(<OrderForm onAccepted={() => {}} />);
    await fill({ total: '1.005' });
    await place();
    expect(screen.getByLabelText('Total amount')).toHaveAccessibleDescription(/at most 2 decimals/);
    expect(calls).toHaveLength(0);
  });

  it('retries a 503 with the same key, and a changed order gets a new one', async () => {
    const calls = stubFetch(
      { status: 503, body: { error: 'Broker unavailable', details: [] }, headers: { 'retry-after': '2' } },
      { status: 202, body: { message: 'Order accepted', id: 'one' } },
      { status: 202, body: { message: 'Order accepted', id: 'two' } },
    );
    renderWithQuery(<OrderForm onAccepted={() => {}} />);
    await place();
    expect(await screen.findByRole('alert')).toHaveTextContent('Broker unavailable Try again in 2 s');
    await place();
    await waitFor(() => expect(calls).toHaveLength(2));
    await fill({ items: '2' });
    await place();
    await waitFor(() => expect(calls).toHaveLength(3));
    const keys = calls.map((call) => call.headers['idempotency-key']);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[1]);
  });
});

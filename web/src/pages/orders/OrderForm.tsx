import { MAX_ITEMS, MAX_TOTAL_AMOUNT, orderRequestSchema } from '@shipshape/contracts';
import { useMutation } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { api, ApiError, describeError } from '../../api/client';
import { newIdempotencyKey } from '../../api/ids';
import { Field } from '../../components/Field';
import { apiFieldErrors, issuesToFieldErrors, type FieldErrors } from '../../components/formErrors';

const FIELDS = ['user_id', 'number_of_items', 'total_amount'] as const;
type Values = Record<(typeof FIELDS)[number], string>;

export interface Accepted {
  status: number;
  id: string;
  message: string;
}

/**
 * Places an order through `POST /api/billing`. One Idempotency-Key per order: a retry after a 503 or a
 * lost answer sends the same key (the order is stored once); changing the order makes a new one.
 */
export function OrderForm({ onAccepted }: { onAccepted: (accepted: Accepted) => void }) {
  const [values, setValues] = useState<Values>({ user_id: '1', number_of_items: '1', total_amount: '9.99' });
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const key = useRef<string | null>(null);
  const place = useMutation({
    mutationFn: async (body: Values) => {
      key.current ??= newIdempotencyKey();
      const answer = await api<{ id: string; message: string }>('/api/billing', {
        method: 'POST',
        body,
        headers: { 'idempotency-key': key.current },
      });
      return { status: answer.status, ...answer.body };
    },
    onSuccess: (accepted) => {
      key.current = null;
      onAccepted(accepted);
    },
  });
  const errors = place.isError ? apiFieldErrors(place.error, FIELDS) : localErrors;
  const other = errors[''] ?? [];

  const change = (field: keyof Values, value: string) => {
    key.current = null;
    setValues((current) => ({ ...current, [field]: value }));
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    place.reset();
    const checked = orderRequestSchema.safeParse(values);
    if (!checked.success) {
      setLocalErrors(issuesToFieldErrors(checked.error.issues));
      return;
    }
    setLocalErrors({});
    place.mutate(values);
  };
  const retryAfter = place.error instanceof ApiError ? place.error.retryAfter : null;

  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Place an order">
      <h2>Place an order</h2>
      <div className="form-row">
        <Field label="User id" errors={errors.user_id} hint="A positive whole number.">
          {(props) => (
            <input
              {...props}
              name="user_id"
              inputMode="numeric"
              value={values.user_id}
              onChange={(event) => change('user_id', event.target.value)}
            />
          )}
        </Field>
        <Field label="Number of items" errors={errors.number_of_items} hint={`1 to ${MAX_ITEMS.toLocaleString('en')}.`}>
          {(props) => (
            <input
              {...props}
              name="number_of_items"
              inputMode="numeric"
              value={values.number_of_items}
              onChange={(event) => change('number_of_items', event.target.value)}
            />
          )}
        </Field>
        <Field
          label="Total amount"
          errors={errors.total_amount}
          hint={`0.01 to ${MAX_TOTAL_AMOUNT.toLocaleString('en')}, two decimals at most.`}
        >
          {(props) => (
            <input
              {...props}
              name="total_amount"
              inputMode="decimal"
              value={values.total_amount}
              onChange={(event) => change('total_amount', event.target.value)}
            />
          )}
        </Field>
      </div>
      {place.isError && (
        <p className="notice bad" role="alert">
          {other.length > 0 ? other.join('; ') : describeError(place.error)}
          {retryAfter !== null && ` Try again in ${retryAfter} s: the same order is stored once.`}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="button" disabled={place.isPending}>
          {place.isPending ? 'Placing…' : 'Place order'}
        </button>
      </div>
    </form>
  );
}

import type { Hog, HogSettings } from '@shipshape/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, describeError } from '../../api/client';
import { Field } from '../../components/Field';
import { apiFieldErrors, type FieldErrors } from '../../components/formErrors';

interface NumberField {
  name: string;
  label: string;
  max: number;
  initial: number;
  integer: boolean;
}

/** Problems with a value against its bounds, worded as the API words them. */
export function boundsProblems(fields: NumberField[], values: Record<string, string>): FieldErrors {
  const errors: FieldErrors = {};
  for (const field of fields) {
    const value = Number(values[field.name]);
    const raw = values[field.name]?.trim() ?? '';
    if (raw === '' || !Number.isFinite(value)) errors[field.name] = [`${field.name} must be a number`];
    else if (field.integer && !Number.isInteger(value)) errors[field.name] = [`${field.name} must be an integer`];
    else if (value <= 0) errors[field.name] = [`${field.name} must be positive`];
    else if (value > field.max) errors[field.name] = [`${field.name} must be at most ${field.max}`];
  }
  return errors;
}

function HogForm({ kind, fields, disabled }: { kind: 'cpu' | 'memory'; fields: NumberField[]; disabled: boolean }) {
  const queryClient = useQueryClient();
  const [values, setValues] = useState(() =>
    Object.fromEntries(fields.map((field) => [field.name, String(field.initial)])),
  );
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const start = useMutation({
    mutationFn: async (body: Record<string, number>) =>
      (await api<Hog>(`/api/system/hogs/${kind}`, { method: 'POST', body })).body,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['hogs'] }),
  });
  const names = fields.map((field) => field.name);
  const errors = start.isError ? apiFieldErrors(start.error, names) : localErrors;
  const title = kind === 'cpu' ? 'CPU hog' : 'Memory hog';
  const action = kind === 'cpu' ? 'Start a CPU hog' : 'Start a memory hog';
  // A message about no field of this form (403 hogs off, 409 too many): under the form.
  const other = errors[''] ?? (start.isError && Object.keys(errors).length === 0 ? [describeError(start.error)] : []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    start.reset();
    const problems = boundsProblems(fields, values);
    setLocalErrors(problems);
    if (Object.keys(problems).length === 0) {
      start.mutate(Object.fromEntries(fields.map((field) => [field.name, Number(values[field.name])])));
    }
  };

  return (
    <form className="form" onSubmit={submit} noValidate aria-label={action}>
      <h3>{title}</h3>
      <div className="form-row">
        {fields.map((field) => (
          <Field key={field.name} label={field.label} errors={errors[field.name]} hint={`1 to ${field.max}`}>
            {(props) => (
              <input
                {...props}
                type="number"
                name={field.name}
                min={1}
                max={field.max}
                step={field.integer ? 1 : 'any'}
                disabled={disabled}
                value={values[field.name] ?? ''}
                onChange={(event) => setValues((current) => ({ ...current, [field.name]: event.target.value }))}
              />
            )}
          </Field>
        ))}
      </div>
      {other.length > 0 && (
        <p className="notice bad" role="alert">
          {other.join('; ')}
        </p>
      )}
      {start.isSuccess && (
        <p className="notice ok" role="status">
          Started {start.data.kind} hog {start.data.id}.
        </p>
      )}
      <div className="actions">
        <button type="submit" className="button" disabled={disabled || start.isPending}>
          {action}
        </button>
      </div>
    </form>
  );
}

export function HogControls({ settings, hogs }: { settings: HogSettings; hogs: Hog[] }) {
  const stop = useMutation({ mutationFn: () => api('/api/system/hogs', { method: 'DELETE' }) });
  const disabled = !settings.enabled;
  const seconds = Math.floor(settings.maxSeconds);
  const running = hogs.filter((hog) => hog.state === 'running');
  return (
    <div className="card">
      <div className="card-head">
        <h2>Hogs</h2>
        <button
          type="button"
          className="button danger small"
          disabled={disabled || stop.isPending}
          onClick={() => stop.mutate()}
        >
          Stop all{running.length > 0 ? ` (${running.length})` : ''}
        </button>
      </div>
      {disabled ? (
        <p className="notice warn" data-testid="hogs-off">
          <span aria-hidden="true">! </span>
          <strong>{settings.reason ?? 'Hogs are off in the system service.'}</strong>
        </p>
      ) : (
        <p className="muted small">Make the container use CPU or memory, and watch its limits act on the gauges.</p>
      )}
      {stop.isError && <p className="notice bad">{describeError(stop.error)}</p>}
      <div className="grid two">
        <HogForm
          kind="cpu"
          disabled={disabled}
          fields={[
            { name: 'workers', label: 'Workers', max: settings.maxWorkers, initial: 1, integer: true },
            { name: 'seconds', label: 'Seconds', max: seconds, initial: Math.min(20, seconds), integer: false },
          ]}
        />
        <HogForm
          kind="memory"
          disabled={disabled}
          fields={[
            {
              name: 'megabytes',
              label: 'Megabytes',
              max: settings.maxMegabytes,
              initial: Math.min(64, settings.maxMegabytes),
              integer: true,
            },
            { name: 'seconds', label: 'Seconds', max: seconds, initial: Math.min(20, seconds), integer: false },
          ]}
        />
      </div>
      {hogs.length > 0 && (
        <ul className="hog-list" aria-label="Hogs">
          {hogs.map((hog) => (
            <li key={hog.id}>
              <span>
                <strong>{hog.kind}</strong>{' '}
                {hog.kind === 'cpu' ? `${hog.workers ?? '?'} workers` : `${hog.megabytes ?? '?'} MB`}
              </span>
              <span className={hog.state === 'killed: out of memory' ? 'field-error' : undefined}>
                {hog.state === 'killed: out of memory' ? '✕ ' : ''}
                {hog.state}
                {hog.error ? ` — ${hog.error}` : ''}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

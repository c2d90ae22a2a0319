import { useId, type ReactNode } from 'react';

/**
 * A labelled control with its hint and the API's (or the form's) messages about it, tied together
 * with aria-describedby so that a screen reader reads them with the control.
 */
export function Field({
  label,
  hint,
  errors = [],
  children,
}: {
  label: string;
  hint?: ReactNode;
  errors?: string[];
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, errors.length > 0 ? errorId : null].filter(Boolean).join(' ');
  return (
    <div className={errors.length > 0 ? 'field invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
        ...(errors.length > 0 ? { 'aria-invalid': true } : {}),
      })}
      {hint && (
        <span className="hint" id={hintId}>
          {hint}
        </span>
      )}
      {errors.length > 0 && (
        <span className="field-error" id={errorId}>
          <span aria-hidden="true">✕ </span>
          {errors.join('; ')}
        </span>
      )}
    </div>
  );
}

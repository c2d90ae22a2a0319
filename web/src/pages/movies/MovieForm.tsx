import {
  createMovieSchema,
  MAX_DESCRIPTION_LENGTH,
  MAX_TITLE_LENGTH,
  updateMovieSchema,
  type Movie,
} from '@shipshape/contracts';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, describeError } from '../../api/client';
import { Field } from '../../components/Field';
import { apiFieldErrors, issuesToFieldErrors, type FieldErrors } from '../../components/formErrors';

const FIELDS = ['title', 'description'] as const;

/** Creates a movie, or edits `movie` when given one. The API's 400 lands next to the field it names. */
export function MovieForm({
  movie,
  onSaved,
  onCancel,
}: {
  movie?: Movie;
  onSaved: (movie: Movie) => void;
  onCancel?: () => void;
}) {
  const [title, setTitle] = useState(movie?.title ?? '');
  const [description, setDescription] = useState(movie?.description ?? '');
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const save = useMutation({
    mutationFn: async (body: { title: string; description: string }) =>
      movie
        ? (await api<Movie>(`/api/movies/${movie.id}`, { method: 'PUT', body })).body
        : (await api<Movie>('/api/movies', { method: 'POST', body })).body,
    onSuccess: (saved) => {
      if (!movie) {
        setTitle('');
        setDescription('');
      }
      onSaved(saved);
    },
  });
  const errors: FieldErrors = save.isError ? apiFieldErrors(save.error, FIELDS) : localErrors;
  const other = errors[''] ?? [];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = { title, description };
    const checked = (movie ? updateMovieSchema : createMovieSchema).safeParse(body);
    save.reset();
    if (!checked.success) {
      setLocalErrors(issuesToFieldErrors(checked.error.issues));
      return;
    }
    setLocalErrors({});
    save.mutate(body);
  };

  const heading = movie ? `Edit “${movie.title}”` : 'Add a movie';
  return (
    <form className="form" onSubmit={submit} noValidate aria-label={heading}>
      <h2>{heading}</h2>
      <Field label="Title" errors={errors.title} hint={`Required, at most ${MAX_TITLE_LENGTH} characters.`}>
        {(props) => <input {...props} name="title" value={title} onChange={(event) => setTitle(event.target.value)} />}
      </Field>
      <Field label="Description" errors={errors.description} hint={`At most ${MAX_DESCRIPTION_LENGTH} characters.`}>
        {(props) => (
          <textarea
            {...props}
            name="description"
            value={description}
            onChange={(event) => setDescription(event.target.value)}
          />
        )}
      </Field>
      {(other.length > 0 || (save.isError && Object.keys(errors).length === 0)) && (
        <p className="notice bad" role="alert">
          {other.length > 0 ? other.join('; ') : describeError(save.error)}
        </p>
      )}
      {save.isError && Object.keys(errors).some((key) => key !== '') && (
        <p className="visually-hidden" role="alert">
          {describeError(save.error)}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="button" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : movie ? 'Save changes' : 'Add movie'}
        </button>
        {onCancel && (
          <button type="button" className="button secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

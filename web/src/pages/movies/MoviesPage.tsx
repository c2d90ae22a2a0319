import type { Movie } from '@shipshape/contracts';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, totalCount } from '../../api/client';
import { Field } from '../../components/Field';
import { Empty, ErrorNote, Loading } from '../../components/Status';
import { useDebounced } from '../../components/useDebounced';
import { usePageTitle } from '../../components/usePageTitle';
import { MovieForm } from './MovieForm';
import { MovieList } from './MovieList';

export const PAGE_SIZE = 10;

async function fetchMovies(title: string, offset: number, signal: AbortSignal) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(offset) });
  if (title) query.set('title', title);
  const answer = await api<Movie[]>(`/api/movies?${query}`, { signal });
  return { movies: answer.body, total: totalCount(answer.headers) };
}

export function MoviesPage() {
  usePageTitle('Movies');
  const queryClient = useQueryClient();
  const [search, setSearch] = useState('');
  const title = useDebounced(search.trim(), 250);
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState<Movie | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirmingDeleteAll, setConfirmingDeleteAll] = useState(false);

  const list = useQuery({
    queryKey: ['movies', title, offset],
    queryFn: ({ signal }) => fetchMovies(title, offset, signal),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['movies'] });

  const remove = useMutation({
    mutationFn: (movie: Movie) => api(`/api/movies/${movie.id}`, { method: 'DELETE' }),
    onSuccess: (_answer, movie) => {
      setNotice(`Deleted “${movie.title}”.`);
      if (editing?.id === movie.id) setEditing(null);
      void refresh();
    },
  });
  const removeAll = useMutation({
    mutationFn: () => api('/api/movies', { method: 'DELETE' }),
    onSuccess: () => {
      setNotice('Deleted every movie.');
      setConfirmingDeleteAll(false);
      setEditing(null);
      setOffset(0);
      void refresh();
    },
  });

  const total = list.data?.total ?? 0;
  const movies = list.data?.movies ?? [];
  const pageNumber = Math.floor(offset / PAGE_SIZE) + 1;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Movies</h1>
          <p>The inventory service's catalogue, stored in PostgreSQL.</p>
        </div>
      </div>
      <div className="grid two">
        <div className="card">
          <div className="card-head">
            <h2>Catalogue</h2>
            <span className="muted small" aria-live="polite">
              {list.data ? `${total.toLocaleString('en')} ${total === 1 ? 'movie' : 'movies'}` : ''}
            </span>
          </div>
          <Field label="Search by title" hint="Any part of the title, upper or lower case.">
            {(props) => (
              <input
                {...props}
                type="search"
                value={search}
                onChange={(event) => {
                  setSearch(event.target.value);
                  setOffset(0);
                }}
              />
            )}
          </Field>
          {notice && (
            <p className="notice ok" role="status">
              {notice}
            </p>
          )}
          {remove.isError && <ErrorNote error={remove.error} />}
          {list.isPending ? (
            <Loading what="movies" />
          ) : list.isError ? (
            <ErrorNote error={list.error} what="the movies" onRetry={() => void list.refetch()} />
          ) : movies.length === 0 ? (
            <Empty>{title ? `No movie has “${title}” in its title.` : 'No movies yet: add the first one.'}</Empty>
          ) : (
            <MovieList movies={movies} onEdit={setEditing} onDelete={(movie) => remove.mutate(movie)} />
          )}
          {total > PAGE_SIZE && (
            <nav className="pager" aria-label="Pages of movies">
              <button
                type="button"
                className="button secondary small"
                disabled={offset === 0}
                onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}
              >
                ← Previous
              </button>
              <span aria-live="polite">
                Page {pageNumber} of {pages}
              </span>
              <button
                type="button"
                className="button secondary small"
                disabled={offset + PAGE_SIZE >= total}
                onClick={() => setOffset(offset + PAGE_SIZE)}
              >
                Next →
              </button>
            </nav>
          )}
          <div className="actions mt">
            {confirmingDeleteAll ? (
              <div className="notice bad" role="alertdialog" aria-label="Confirm deleting every movie">
                <p>Delete all {total.toLocaleString('en')} movies? This cannot be undone.</p>
                <div className="actions">
                  <button
                    type="button"
                    className="button danger"
                    disabled={removeAll.isPending}
                    onClick={() => removeAll.mutate()}
                  >
                    Yes, delete all
                  </button>
                  <button type="button" className="button secondary" onClick={() => setConfirmingDeleteAll(false)}>
                    Cancel
                  </button>
                </div>
                {removeAll.isError && <ErrorNote error={removeAll.error} />}
              </div>
            ) : (
              <button
                type="button"
                className="button ghost-danger"
                disabled={total === 0 && !title}
                onClick={() => setConfirmingDeleteAll(true)}
              >
                Delete all movies…
              </button>
            )}
          </div>
        </div>
        <div className="card">
          {editing ? (
            <MovieForm
              key={editing.id}
              movie={editing}
              onSaved={(movie) => {
                setNotice(`Saved “${movie.title}”.`);
                setEditing(null);
                void refresh();
              }}
              onCancel={() => setEditing(null)}
            />
          ) : (
            <MovieForm
              onSaved={(movie) => {
                setNotice(`Added “${movie.title}” (id ${movie.id}).`);
                void refresh();
              }}
            />
          )}
        </div>
      </div>
    </section>
  );
}

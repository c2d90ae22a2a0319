import type { Movie } from '@shipshape/contracts';
import { TableWrap } from '../../components/TableWrap';

export function MovieList({
  movies,
  onEdit,
  onDelete,
}: {
  movies: Movie[];
  onEdit: (movie: Movie) => void;
  onDelete: (movie: Movie) => void;
}) {
  return (
    <TableWrap label="Movies">
      <table>
        <thead>
          <tr>
            <th scope="col" className="num">
              Id
            </th>
            <th scope="col">Title</th>
            <th scope="col" className="hide-small">
              Description
            </th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {movies.map((movie) => (
            <tr key={movie.id}>
              <td className="num">{movie.id}</td>
              <td>
                <strong>{movie.title}</strong>
              </td>
              <td className="hide-small muted">{movie.description || '—'}</td>
              <td>
                <div className="actions">
                  <button
                    type="button"
                    className="button secondary small"
                    onClick={() => onEdit(movie)}
                    aria-label={`Edit ${movie.title}`}
                  >
                    Edit
                  </button>
                  <button
                    type="button"
                    className="button ghost-danger small"
                    onClick={() => onDelete(movie)}
                    aria-label={`Delete ${movie.title}`}
                  >
                    Delete
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

import { Link } from 'react-router';
import { usePageTitle } from '../components/usePageTitle';

export function NotFoundPage() {
  usePageTitle('Not found');
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>
        There is no page here. <Link to="/">Back to the overview</Link>.
      </p>
    </section>
  );
}

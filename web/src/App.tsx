import { lazy, Suspense } from 'react';
import { NavLink, Route, Routes } from 'react-router';
import { Loading } from './components/Status';
import { NotFoundPage } from './pages/NotFoundPage';
import { MoviesPage } from './pages/movies/MoviesPage';
import { OrdersPage } from './pages/orders/OrdersPage';
import { OverviewPage } from './pages/overview/OverviewPage';
import { PredictPage } from './pages/predict/PredictPage';
import { VotePage } from './pages/vote/VotePage';

// Chart.js is the largest part of the bundle and only the system page draws charts.
const SystemPage = lazy(() => import('./pages/system/SystemPage'));

export const PAGES = [
  { path: '/', label: 'Overview' },
  { path: '/movies', label: 'Movies' },
  { path: '/orders', label: 'Orders' },
  { path: '/vote', label: 'Vote' },
  { path: '/system', label: 'System' },
  { path: '/predict', label: 'Prediction' },
] as const;

export function App() {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <NavLink to="/" className="brand" aria-label="Shipshape, overview">
            <img src="/favicon.svg" alt="" width="28" height="28" />
            <span>Shipshape</span>
          </NavLink>
          <nav aria-label="Main">
            <ul className="nav">
              {PAGES.map((page) => (
                <li key={page.path}>
                  <NavLink to={page.path} end={page.path === '/'}>
                    {page.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading what="the page" />}>
          <Routes>
            <Route path="/" element={<OverviewPage />} />
            <Route path="/movies" element={<MoviesPage />} />
            <Route path="/orders" element={<OrdersPage />} />
            <Route path="/vote" element={<VotePage />} />
            <Route path="/system" element={<SystemPage />} />
            <Route path="/predict" element={<PredictPage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Routes>
        </Suspense>
      </main>
      <footer className="footer">
        <span>Shipshape — every part real, every part tested.</span>
        <a href="/docs">API documentation</a>
      </footer>
    </>
  );
}

import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { ContributePage } from './contribute/ContributePage';
import './styles.css';

// The dashboard (and its chart library) loads only on /dashboard; volunteers never download it.
const Dashboard = lazy(() => import('./dashboard/Dashboard').then((m) => ({ default: m.Dashboard })));

/** Path-based routing: the server answers index.html for any unknown path. */
function App() {
  const path = location.pathname.replace(/\/+$/, '');
  if (path === '/dashboard') {
    return (
      <Suspense fallback={<main className="page"><p className="muted">Loading the dashboard…</p></main>}>
        <Dashboard />
      </Suspense>
    );
  }
  return <ContributePage />;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

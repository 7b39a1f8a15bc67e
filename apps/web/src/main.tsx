import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ContributePage } from './contribute/ContributePage';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ContributePage />
  </StrictMode>,
);

/** The browser tests of the dashboard (tests/browser/dashboardSuite.ts) through the swarm's web port. */
import { inject } from 'vitest';
import { chromiumAvailable } from '../browser/browser.js';
import { describeDashboard } from '../browser/dashboardSuite.js';

const swarm = inject('swarm');

describeDashboard(
  'against the Swarm stack on its web port',
  async () => ({ baseUrl: swarm.webUrl, stop: async () => {} }),
  {
    enabled: swarm.available && chromiumAvailable(),
    screenshotPrefix: 'swarm-',
  },
);

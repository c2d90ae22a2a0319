/**
 * The browser tests of the dashboard (tests/browser/dashboardSuite.ts), through the compose stack's
 * published web port: nginx of the web image in front of the gateway, as a user opens it.
 */
import { inject } from 'vitest';
import { chromiumAvailable } from '../browser/browser.js';
import { describeDashboard } from '../browser/dashboardSuite.js';

const stack = inject('stack');

describeDashboard(
  'against the compose stack on its web port',
  async () => ({ baseUrl: stack.webUrl, stop: async () => {} }),
  {
    enabled: stack.available && chromiumAvailable(),
    screenshotPrefix: 'compose-',
  },
);

/** The dashboard in Chromium against an embedded stack of its own (`npm start`), or BROWSER_BASE_URL. */
import { chromiumAvailable, startTarget } from './browser.js';
import { describeDashboard } from './dashboardSuite.js';

describeDashboard('against npm start', startTarget, { enabled: chromiumAvailable() });

// `npm start` runs the embedded mode.
import './embedded.js';

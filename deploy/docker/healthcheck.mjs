// Container health probe shared by every Node service image (copied to /app/healthcheck.mjs).
// The slim Node images have neither curl nor wget, so the probe is Node itself: it asks the service
// on its own port and exits 0 when the answer is 2xx, 1 otherwise (also when nothing answers in time).
// Usage: node /app/healthcheck.mjs [path]   (path defaults to /health; PORT defaults to 8080)
/* global AbortSignal */
const port = process.env.PORT || '8080';
const path = process.argv[2] || '/health';

try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_500) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}

/**
 * Each service's port in the local modes (`npm start`, `npm run start:native`) and its default when
 * run on its own. In containers every service listens on its image's port instead (docs/design.md).
 * The gateway's upstream defaults come from here too, so a service's local address is written once.
 */
export const LOCAL_PORTS = {
  gateway: 3000,
  inventory: 3001,
  billing: 3002,
  vote: 3003,
  worker: 3004,
  result: 3005,
  system: 3006,
  predict: 3007,
} as const;

export type ServiceName = keyof typeof LOCAL_PORTS;

/** Where a service listens in the local modes when `host` is the address the others reach it at. */
export function localUrl(service: ServiceName, host = '127.0.0.1'): string {
  return `http://${host}:${LOCAL_PORTS[service]}`;
}

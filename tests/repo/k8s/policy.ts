/**
 * The rules every rendered overlay of deploy/k8s keeps, each a function from objects to problems (an
 * empty list when the rule holds), so that tests/repo/k8s.test.ts can show each one failing on an object
 * broken on purpose as well as passing on the real ones.
 */
type K8s = any;

export const workloadKinds = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

export const workloads = (objects: K8s[]) => objects.filter((o) => workloadKinds.has(o.kind));
export const podSpec = (workload: K8s) =>
  workload.kind === 'CronJob' ? workload.spec.jobTemplate.spec.template.spec : workload.spec.template.spec;
export const podLabels = (workload: K8s): Record<string, string> =>
  (workload.kind === 'CronJob' ? workload.spec.jobTemplate.spec.template : workload.spec.template).metadata?.labels ??
  {};
const named = (o: K8s) => `${o.kind}/${o.metadata?.name}`;

/** An image reference with an explicit tag (or digest) that is not `latest`. */
export function imageProblem(image: unknown): string | undefined {
  if (typeof image !== 'string' || image === '') return 'has no image';
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
  const lastPart = image.split('/').pop()!;
  const tag = lastPart.includes(':') ? lastPart.split(':').pop()! : '';
  if (tag === '') return `image ${image} has no tag`;
  if (tag === 'latest') return `image ${image} is tagged latest`;
  return undefined;
}

/** Probes, requests and limits, the security context and pinned images, on every container of every pod. */
export function containerProblems(objects: K8s[]): string[] {
  const problems: string[] = [];
  for (const workload of workloads(objects)) {
    const spec = podSpec(workload);
    const where = named(workload);
    const pod = spec.securityContext ?? {};
    if (pod.runAsNonRoot !== true) problems.push(`${where}: pod securityContext.runAsNonRoot is not true`);
    if (!Number.isInteger(pod.runAsUser) || pod.runAsUser <= 0) {
      problems.push(`${where}: pod securityContext.runAsUser is not a non-root uid`);
    }
    if (pod.seccompProfile?.type !== 'RuntimeDefault')
      problems.push(`${where}: pod seccompProfile is not RuntimeDefault`);
    if (spec.automountServiceAccountToken !== false) {
      problems.push(`${where}: automountServiceAccountToken is not false (nothing here calls the API)`);
    }
    if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push(`${where}: shares a host namespace`);
    const all = [
      ...(spec.initContainers ?? []).map((c: K8s) => ({ c, init: true })),
      ...(spec.containers ?? []).map((c: K8s) => ({ c, init: false })),
    ];
    for (const { c, init } of all) {
      const at = `${where} container ${c.name}`;
      const image = imageProblem(c.image);
      if (image) problems.push(`${at}: ${image}`);
      if (c.imagePullPolicy !== 'IfNotPresent') problems.push(`${at}: imagePullPolicy is not IfNotPresent`);
      for (const kind of ['requests', 'limits']) {
        for (const resource of ['cpu', 'memory']) {
          if (c.resources?.[kind]?.[resource] === undefined) problems.push(`${at}: no ${resource} ${kind}`);
        }
      }
      const sc = c.securityContext ?? {};
      if (sc.runAsNonRoot !== true) problems.push(`${at}: securityContext.runAsNonRoot is not true`);
      if (!Number.isInteger(sc.runAsUser) || sc.runAsUser <= 0) problems.push(`${at}: runAsUser is not a non-root uid`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem is not true`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
      if (sc.privileged === true) problems.push(`${at}: is privileged`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${at}: does not drop ALL capabilities`);
      if ((sc.capabilities?.add ?? []).length > 0) problems.push(`${at}: adds capabilities`);
      if ((sc.seccompProfile?.type ?? pod.seccompProfile?.type) !== 'RuntimeDefault') {
        problems.push(`${at}: seccompProfile is not RuntimeDefault`);
      }
      for (const port of c.ports ?? []) if (port.hostPort) problems.push(`${at}: binds host port ${port.hostPort}`);
      if (init) continue;
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        if (!c[probe]) problems.push(`${at}: no ${probe}`);
      }
      // Our Node services: liveness on /health, readiness on /ready (web is nginx: /healthz).
      if (/^shipshape\/(?!web:)/.test(c.image ?? '')) {
        if (c.livenessProbe?.httpGet?.path !== '/health') problems.push(`${at}: liveness is not GET /health`);
        if (c.readinessProbe?.httpGet?.path !== '/ready') problems.push(`${at}: readiness is not GET /ready`);
        if (c.startupProbe?.httpGet?.path !== '/health') problems.push(`${at}: startup is not GET /health`);
      }
    }
  }
  return problems;
}

/** Only web and gateway are reached from outside: no NodePort or LoadBalancer, Ingress backends web/gateway only. */
export function exposureProblems(objects: K8s[], exposed = ['web', 'gateway']): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    if (o.kind === 'Service' && ['NodePort', 'LoadBalancer'].includes(o.spec?.type)) {
      problems.push(`${named(o)}: type ${o.spec.type} exposes it outside the cluster`);
    }
    if (o.kind === 'Service' && (o.spec?.externalIPs ?? []).length > 0) problems.push(`${named(o)}: has externalIPs`);
    if (o.kind === 'Ingress') {
      const backends = [
        o.spec?.defaultBackend,
        ...(o.spec?.rules ?? []).flatMap((rule: K8s) => (rule.http?.paths ?? []).map((p: K8s) => p.backend)),
      ].filter(Boolean);
      for (const backend of backends) {
        const service = backend.service?.name;
        if (!exposed.includes(service)) problems.push(`${named(o)}: routes to ${service ?? 'a non-Service backend'}`);
      }
    }
  }
  return problems;
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

/** Every Service (but an ExternalName alias) selects the pods of some workload in its namespace. */
export function selectorProblems(objects: K8s[]): string[] {
  const problems: string[] = [];
  for (const service of objects.filter((o) => o.kind === 'Service')) {
    if (service.spec?.type === 'ExternalName') continue;
    const selector = service.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) {
      problems.push(`${named(service)}: has no selector`);
      continue;
    }
    const selected = workloads(objects).filter(
      (w) => w.metadata?.namespace === service.metadata?.namespace && matches(selector, podLabels(w)),
    );
    if (selected.length === 0) problems.push(`${named(service)}: its selector matches no pod template`);
    for (const port of service.spec.ports ?? []) {
      if (typeof port.targetPort !== 'string') continue;
      const found = selected.some((w) =>
        podSpec(w).containers.some((c: K8s) => (c.ports ?? []).some((p: K8s) => p.name === port.targetPort)),
      );
      if (!found && selected.length > 0) problems.push(`${named(service)}: no container port named ${port.targetPort}`);
    }
  }
  return problems;
}

/**
 * Every Secret is the generator's (its name the generator's plus a content hash), every secretKeyRef and
 * configMapRef names an object that exists and a key it has, and every `$(NAME)` in an env value names a
 * variable defined before it (Kubernetes leaves an unknown one as it is, silently).
 */
export function referenceProblems(objects: K8s[], generatedSecrets = ['shipshape-passwords']): string[] {
  const problems: string[] = [];
  const byName = (kind: string) => new Map(objects.filter((o) => o.kind === kind).map((o) => [o.metadata.name, o]));
  const secrets = byName('Secret');
  const configMaps = byName('ConfigMap');
  for (const secret of secrets.values()) {
    const generated = generatedSecrets.some((name) => new RegExp(`^${name}-[a-z0-9]{10}$`).test(secret.metadata.name));
    if (!generated) problems.push(`Secret/${secret.metadata.name}: not made by the secretGenerator`);
  }
  for (const workload of workloads(objects)) {
    const spec = podSpec(workload);
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      const at = `${named(workload)} container ${c.name}`;
      const defined = new Set<string>();
      for (const source of c.envFrom ?? []) {
        const ref = source.configMapRef ?? source.secretRef;
        const target = (source.configMapRef ? configMaps : secrets).get(ref?.name);
        if (!target) problems.push(`${at}: envFrom names ${ref?.name}, which is not rendered`);
        for (const key of Object.keys(target?.data ?? {})) defined.add(key);
      }
      for (const variable of c.env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
        if (ref) {
          const target = (variable.valueFrom.secretKeyRef ? secrets : configMaps).get(ref.name);
          if (!target) problems.push(`${at}: ${variable.name} refers to ${ref.name}, which is not rendered`);
          else if (!(ref.key in (target.data ?? {}))) problems.push(`${at}: ${ref.name} has no key ${ref.key}`);
        }
        for (const [, name] of String(variable.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
          if (!defined.has(name!)) problems.push(`${at}: ${variable.name} uses $(${name}), not defined before it`);
        }
        defined.add(variable.name);
      }
      for (const volume of spec.volumes ?? []) {
        if (volume.configMap && !configMaps.has(volume.configMap.name)) {
          problems.push(
            `${named(workload)}: volume ${volume.name} names ConfigMap ${volume.configMap.name}, not rendered`,
          );
        }
      }
    }
  }
  return problems;
}

/** A pod as a NetworkPolicy sees it: its namespace, the namespace's labels and its own. */
export interface Peer {
  namespace: string;
  namespaceLabels?: Record<string, string>;
  labels: Record<string, string>;
}

function selects(selector: K8s, labels: Record<string, string>): boolean {
  if (!selector) return true;
  if (!matches(selector.matchLabels ?? {}, labels)) return false;
  return (selector.matchExpressions ?? []).every((e: K8s) => {
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        return value !== undefined && e.values.includes(value);
      case 'NotIn':
        return value === undefined || !e.values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        throw new Error(`unknown operator ${e.operator}`);
    }
  });
}

/**
 * Whether the NetworkPolicies let `from` open a TCP connection to port `port` of `to` (numeric ports
 * only, which is all these manifests use). A pod that no policy selects for Ingress accepts everything.
 */
export function allows(objects: K8s[], from: Peer, to: Peer, port: number): boolean {
  const policies = objects.filter(
    (o) =>
      o.kind === 'NetworkPolicy' &&
      o.metadata.namespace === to.namespace &&
      (o.spec.policyTypes ?? ['Ingress']).includes('Ingress') &&
      selects(o.spec.podSelector, to.labels),
  );
  if (policies.length === 0) return true;
  return policies.some((policy) =>
    (policy.spec.ingress ?? []).some((rule: K8s) => {
      const portOk = !rule.ports || rule.ports.some((p: K8s) => p.port === undefined || p.port === port);
      const peerOk =
        !rule.from ||
        rule.from.some((peer: K8s) => {
          if (peer.ipBlock) return false; // no pod addresses are modelled
          const namespaceOk = peer.namespaceSelector
            ? selects(peer.namespaceSelector, from.namespaceLabels ?? {})
            : from.namespace === to.namespace;
          return namespaceOk && selects(peer.podSelector, from.labels);
        });
      return portOk && peerOk;
    }),
  );
}

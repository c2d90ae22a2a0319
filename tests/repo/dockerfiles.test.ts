/**
 * The service Dockerfiles and the root .dockerignore are written by scripts/dockerfiles.mjs from
 * deploy/docker/service.Dockerfile: these tests fail when one of them is edited by hand or left behind
 * after a change of the template or of a package.json, and check on their own (without the script's
 * code) that each image copies exactly the workspaces its service is built from.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const script = 'scripts/dockerfiles.mjs';

interface Manifest {
  name: string;
  description?: string;
  dependencies?: Record<string, string>;
  scripts?: Record<string, string>;
  shipshape?: {
    containerPort?: number;
    train?: { script: string; output: string; inputs?: string[]; exclude?: string[] };
    dockerContext?: string[];
  };
}

const readText = (root: string, file: string) => readFileSync(path.join(root, file), 'utf8');
const readJson = <T>(root: string, file: string) => JSON.parse(readText(root, file)) as T;

function runScript(root: string, args: string[] = []) {
  const result = spawnSync(process.execPath, [path.join(root, script), ...args], { cwd: root, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Workspace folders of the root package.json (its patterns are `dir/*`), each with its manifest. */
function workspaces(root: string): Map<string, Manifest> {
  const found = new Map<string, Manifest>();
  for (const pattern of readJson<{ workspaces: string[] }>(root, 'package.json').workspaces) {
    if (!pattern.endsWith('/*')) {
      if (existsSync(path.join(root, pattern, 'package.json'))) {
        found.set(pattern, readJson<Manifest>(root, `${pattern}/package.json`));
      }
      continue;
    }
    const parent = pattern.replace(/\/\*$/, '');
    if (!existsSync(path.join(root, parent))) continue;
    for (const entry of readdirSync(path.join(root, parent), { withFileTypes: true })) {
      const folder = `${parent}/${entry.name}`;
      if (entry.isDirectory() && existsSync(path.join(root, folder, 'package.json'))) {
        found.set(folder, readJson<Manifest>(root, `${folder}/package.json`));
      }
    }
  }
  return found;
}

/** The service's folder and the folders of its @shipshape/* dependencies, followed transitively, sorted. */
function closure(all: Map<string, Manifest>, service: string, folder = `services/${service}`): string[] {
  const folderOf = new Map([...all].map(([folder, manifest]) => [manifest.name, folder]));
  const seen = new Set<string>();
  const visit = (folder: string) => {
    if (seen.has(folder)) return;
    seen.add(folder);
    for (const name of Object.keys(all.get(folder)?.dependencies ?? {})) {
      if (!name.startsWith('@shipshape/')) continue;
      const dependency = folderOf.get(name);
      expect(dependency, `${folder} depends on ${name}, which is no workspace`).toBeDefined();
      visit(dependency!);
    }
  };
  visit(folder);
  return [...seen].sort();
}

const all = workspaces(repoRoot);
const services = [...all.keys()]
  .filter((folder) => folder.startsWith('services/'))
  .map((folder) => folder.slice('services/'.length))
  .sort();
/** Workspaces outside services/ with a Dockerfile of their own (web): only their context is generated. */
const ownImages = [...all]
  .filter(([folder, manifest]) => !folder.startsWith('services/') && manifest.shipshape?.dockerContext)
  .map(([folder]) => folder);

describe('generated Dockerfiles', () => {
  it('finds the services', () => {
    expect(services).toEqual(expect.arrayContaining(['billing', 'gateway', 'inventory']));
  });

  it('every services/*/Dockerfile and .dockerignore is what scripts/dockerfiles.mjs writes', () => {
    const { status, output } = runScript(repoRoot, ['--check']);
    expect(output, 'run `node scripts/dockerfiles.mjs` (and edit the template, not the Dockerfiles)').toContain(
      'up to date',
    );
    expect(status).toBe(0);
  });

  it.each(services)('services/%s/Dockerfile copies exactly the workspaces of its dependency closure', (service) => {
    const expected = closure(all, service);
    const dockerfile = readText(repoRoot, `services/${service}/Dockerfile`);
    const matches = (pattern: RegExp) => [...dockerfile.matchAll(pattern)].map((match) => match[1]!);

    // The manifests stage, the sources of the build stage, the npm workspaces and the compiled output.
    expect(matches(/^COPY (\S+)\/package\.json \1\/$/gm)).toEqual(expected);
    expect(matches(/^COPY (\S+)\/ \1\/$/gm)).toEqual(expected);
    const install = /npm ci --ignore-scripts --include-workspace-root \\\n\s+(.+)$/m.exec(dockerfile);
    expect(install?.[1]?.split(/\s+/)).toEqual(expected.flatMap((workspace) => ['-w', workspace]));
    expect(/for workspace in (.+); do/.exec(dockerfile)?.[1]?.split(' ')).toEqual(expected);

    // What differs between the images, and what every image keeps.
    const manifest = all.get(`services/${service}`)!;
    const port = manifest.shipshape?.containerPort ?? 8080;
    expect(dockerfile).toContain(`npx tsc -b services/${service};`);
    expect(dockerfile).toContain(`npm ci --omit=dev --ignore-scripts -w services/${service}\n`);
    expect(dockerfile).toContain(`ENV NODE_ENV=production PORT=${port} HOST=0.0.0.0\n`);
    expect(dockerfile).toContain(`EXPOSE ${port}\n`);
    expect(dockerfile).toContain(`CMD ["node", "--enable-source-maps", "services/${service}/dist/main.js"]\n`);
    expect(dockerfile).toContain(`org.opencontainers.image.description="${manifest.description}"`);
    expect(matches(/^FROM (\S+) AS base$/gm)).toEqual(['node:22-bookworm-slim']);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).not.toMatch(/\{\{|\}\}/);
  });

  it.each(services)(
    'services/%s/Dockerfile trains in a stage of its own only when its package.json says so',
    (service) => {
      const dockerfile = readText(repoRoot, `services/${service}/Dockerfile`);
      const train = all.get(`services/${service}`)!.shipshape?.train;
      const stages = dockerfile.split(/^(?=FROM )/m);
      const stage = (name: string) =>
        stages.find((text) => text.startsWith('FROM ') && text.split('\n')[0]!.endsWith(` AS ${name}`));
      if (!train) {
        expect(dockerfile).not.toMatch(/ AS train$/m);
        expect(dockerfile).not.toContain('--from=train');
        return;
      }
      expect(all.get(`services/${service}`)!.scripts?.[train.script]).toBeDefined();
      // Trained on the build stage, by the service's own script; the image takes the model it writes.
      expect(stage('train')).toMatch(
        new RegExp(`^FROM build AS train\n(?:#.*\n)*RUN npm run ${train.script} -w services/${service}\n`),
      );
      const runtime = stage('runtime')!;
      expect(runtime).toContain(
        `COPY --from=train /app/services/${service}/${train.output} services/${service}/${train.output}\n`,
      );
      // Nothing else of the build or train stage: the compiled output without the training code, no data.
      expect([...runtime.matchAll(/^COPY --from=(\S+)/gm)].map((match) => match[1])).toEqual([
        'production-dependencies',
        'build',
        'train',
      ]);
      for (const folder of train.exclude ?? []) {
        expect(stage('build')).toMatch(new RegExp(`^RUN rm -r .*/out/services/${service}/${folder}( |$)`, 'm'));
      }
      for (const input of train.inputs ?? []) expect(runtime).not.toContain(input);
      // Nothing trains when a container starts.
      expect(runtime).toContain(`CMD ["node", "--enable-source-maps", "services/${service}/dist/main.js"]`);
    },
  );

  it.each(services)('services/%s builds with tsc -b from the workspaces it copies', (service) => {
    // `tsc -b services/<name>` in the image follows tsconfig references: each must be a copied workspace.
    const copied = new Set(closure(all, service));
    for (const folder of copied) {
      const tsconfig = readJson<{ references?: { path: string }[] }>(repoRoot, `${folder}/tsconfig.json`);
      for (const reference of tsconfig.references ?? []) {
        const target = path.posix.normalize(path.posix.join(folder, reference.path));
        expect(copied.has(target), `${folder}/tsconfig.json references ${target}, not in the image`).toBe(true);
      }
    }
  });

  it('.dockerignore lets in the root files and exactly the workspaces the images use', () => {
    const allowed = readText(repoRoot, '.dockerignore')
      .split('\n')
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1));
    const used = [
      ...new Set([
        ...services.flatMap((service) => closure(all, service)),
        ...ownImages.flatMap((folder) => closure(all, '', folder)),
      ]),
    ].sort();
    // A service's training inputs (its data) too, for its train stage.
    const inputs = (workspace: string) =>
      (all.get(workspace)?.shipshape?.train?.inputs ?? []).map((input) => `${workspace}/${input}`);
    expect(allowed).toEqual([
      'package.json',
      'package-lock.json',
      'tsconfig.base.json',
      'deploy/docker/healthcheck.mjs',
      ...used.flatMap((workspace) => [
        `${workspace}/package.json`,
        `${workspace}/tsconfig.json`,
        `${workspace}/src`,
        ...inputs(workspace),
        ...[...(all.get(workspace)?.shipshape?.dockerContext ?? [])].sort().map((entry) => `${workspace}/${entry}`),
      ]),
    ]);
    expect(ownImages).toEqual(['web']);
    expect(readText(repoRoot, '.dockerignore')).toMatch(/^\*$/m);
  });
});

describe('scripts/dockerfiles.mjs in a copy of the repository', () => {
  const copy = mkdtempSync(path.join(tmpdir(), 'shipshape-dockerfiles-'));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  const files = [
    'package.json',
    script,
    'deploy/docker/service.Dockerfile',
    '.dockerignore',
    ...[...all.keys()].map((folder) => `${folder}/package.json`),
    ...services.map((service) => `services/${service}/Dockerfile`),
  ];
  for (const file of files) {
    mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    writeFileSync(path.join(copy, file), readText(repoRoot, file));
  }

  it('--check names a hand-edited Dockerfile, exits 1 and writes nothing; a run puts it back', () => {
    const file = 'services/gateway/Dockerfile';
    const edited = readText(copy, file).replace('USER node\n', 'USER root\n');
    writeFileSync(path.join(copy, file), edited);

    const check = runScript(copy, ['--check']);
    expect(check.status).toBe(1);
    expect(check.output).toMatch(/services\/gateway\/Dockerfile: line \d+ is "USER root", expected "USER node"/);
    expect(check.output).not.toContain('services/inventory/Dockerfile');
    expect(readText(copy, file)).toBe(edited);

    expect(runScript(copy).output).toContain(`wrote ${file}`);
    expect(readText(copy, file)).toBe(readText(repoRoot, file));
    expect(runScript(copy, ['--check']).status).toBe(0);
  });

  it('a new service gets its Dockerfile, its dependency closure and its .dockerignore lines', () => {
    mkdirSync(path.join(copy, 'services/echo'), { recursive: true });
    writeFileSync(
      path.join(copy, 'services/echo/package.json'),
      JSON.stringify({
        name: '@shipshape/echo',
        description: 'Prediction service',
        dependencies: { '@shipshape/queue': '0.1.0', zod: '*' },
        shipshape: { containerPort: 8000 },
      }),
    );

    const check = runScript(copy, ['--check']);
    expect(check.status).toBe(1);
    expect(check.output).toContain('services/echo/Dockerfile: missing');
    expect(check.output).toContain('.dockerignore: line');

    expect(runScript(copy).status).toBe(0);
    const dockerfile = readText(copy, 'services/echo/Dockerfile');
    const expected = closure(workspaces(copy), 'echo');
    expect(expected).toEqual(expect.arrayContaining(['packages/db', 'packages/platform', 'packages/queue']));
    expect([...dockerfile.matchAll(/^COPY (\S+)\/package\.json \1\/$/gm)].map((match) => match[1])).toEqual(expected);
    expect(dockerfile).toContain('EXPOSE 8000\n');
    expect(readText(copy, '.dockerignore')).toContain('!services/echo/src\n');
    expect(dockerfile).not.toContain('AS train');
  });

  it('a service that trains gets a train stage, its model in the image and its data in the context', () => {
    const manifest = {
      name: '@shipshape/echo',
      description: 'Prediction service',
      scripts: { fit: 'node dist/fit.js' },
      dependencies: { '@shipshape/platform': '0.1.0' },
      shipshape: { train: { script: 'fit', output: 'weights', inputs: ['corpus'], exclude: ['dist/fit'] } },
    };
    writeFileSync(path.join(copy, 'services/echo/package.json'), JSON.stringify(manifest));
    expect(runScript(copy).status).toBe(0);
    const dockerfile = readText(copy, 'services/echo/Dockerfile');
    expect(dockerfile).toContain('FROM build AS train\nRUN npm run fit -w services/echo\n');
    expect(dockerfile).toContain('RUN rm -r /out/services/echo/dist/fit\n');
    expect(dockerfile).toContain('COPY --from=train /app/services/echo/weights services/echo/weights\n');
    expect(readText(copy, '.dockerignore')).toContain('!services/echo/src\n!services/echo/corpus\n');
    expect(runScript(copy, ['--check']).status).toBe(0);

    for (const [train, named] of [
      [
        { ...manifest.shipshape.train, script: 'train' },
        /"shipshape.train.script" must name one of its "scripts", not "train"/,
      ],
      [
        { ...manifest.shipshape.train, output: '../../etc' },
        /"shipshape.train.output" must be a folder inside the service/,
      ],
      [{ ...manifest.shipshape.train, inputs: ['data; rm -rf /'] }, /"shipshape.train.inputs" must be a folder/],
      [{ ...manifest.shipshape.train, cache: true }, /unknown key "cache"/],
    ] as const) {
      writeFileSync(
        path.join(copy, 'services/echo/package.json'),
        JSON.stringify({ ...manifest, shipshape: { train } }),
      );
      const result = runScript(copy, ['--check']);
      expect(result.status).toBe(2);
      expect(result.output).toMatch(named);
      expect(result.output).toContain('services/echo/package.json');
    }
  });

  it('lets in the files a hand-written image names under "shipshape.dockerContext", and refuses a path outside', () => {
    // Without the service the tests above added (its last manifest is a bad one on purpose).
    rmSync(path.join(copy, 'services/echo'), { recursive: true, force: true });
    const manifest = JSON.parse(readText(copy, 'web/package.json')) as Manifest;
    const write = (dockerContext: unknown) =>
      writeFileSync(
        path.join(copy, 'web/package.json'),
        JSON.stringify({ ...manifest, shipshape: { ...manifest.shipshape, dockerContext } }),
      );
    write([...manifest.shipshape!.dockerContext!, 'robots.txt']);
    expect(runScript(copy).status).toBe(0);
    expect(readText(copy, '.dockerignore')).toContain('!web/public\n!web/robots.txt\n');
    // A Dockerfile of its own is never written over.
    expect(existsSync(path.join(copy, 'web/Dockerfile'))).toBe(false);

    write(['../.env']);
    const result = runScript(copy, ['--check']);
    expect(result.status).toBe(2);
    expect(result.output).toMatch(/web\/package.json: "shipshape.dockerContext" must name files inside web/);
    write(manifest.shipshape!.dockerContext);
    expect(runScript(copy).status).toBe(0);
  });
});

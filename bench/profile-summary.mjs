#!/usr/bin/env node
/**
 * Summarises V8 CPU profiles (from `npm run bench -- --profile <dir>`, or any `node --cpu-prof`):
 * the functions that took the most time themselves, and the packages (node_modules, node internals,
 * this repo's code) that time falls in. Usage: node bench/profile-summary.mjs <file.cpuprofile|dir>... [--top N]
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
if (!positionals.length) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile|dir>... [--top N]');
  process.exit(2);
}

async function profilesIn(target) {
  if (!(await stat(target)).isDirectory()) return [target];
  const found = [];
  for (const entry of await readdir(target, { withFileTypes: true })) {
    const full = path.join(target, entry.name);
    if (entry.isDirectory()) found.push(...(await profilesIn(full)));
    else if (entry.name.endsWith('.cpuprofile')) found.push(full);
  }
  return found;
}

/** Where a function's code lives: a package name, `node:internal`, or a path relative to the repo. */
function area(url) {
  if (!url) return '(native / vm)';
  if (url.startsWith('node:')) return 'node:internal';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const repo = url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '');
  return repo.split('/').slice(0, 2).join('/');
}

const IDLE = new Set(['(idle)', '(program)']);

for (const file of (await Promise.all(positionals.map(profilesIn))).flat()) {
  const profile = JSON.parse(await readFile(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  // timeDeltas[i] is the time before sample i; it is charged to that sample's node.
  profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const label = ({ functionName, url, lineNumber }) =>
    `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(process.cwd() + '/', '')}:${lineNumber + 1}` : ''}`;

  // Inclusive time per function: a node's own time plus its subtree's, each function counted once per stack.
  const inclusive = new Map();
  const walk = (node, onStack) => {
    let total = self.get(node.id) ?? 0;
    const name = label(node.callFrame);
    const first = !onStack.has(name);
    if (first) onStack.add(name);
    for (const child of node.children ?? []) total += walk(byId.get(child), onStack);
    if (first) {
      onStack.delete(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + total);
    }
    return total;
  };
  walk(profile.nodes[0], new Set());

  let busy = 0;
  let idle = 0;
  const functions = new Map();
  const areas = new Map();
  for (const [id, micros] of self) {
    const { callFrame } = byId.get(id);
    if (IDLE.has(callFrame.functionName)) {
      idle += micros;
      continue;
    }
    busy += micros;
    const name = label(callFrame);
    functions.set(name, (functions.get(name) ?? 0) + micros);
    const where = callFrame.functionName === '(garbage collector)' ? '(garbage collector)' : area(callFrame.url);
    areas.set(where, (areas.get(where) ?? 0) + micros);
  }
  const percent = (micros) => `${((100 * micros) / busy).toFixed(1).padStart(5)}%`;
  const top = (map, count) => [...map].sort((a, b) => b[1] - a[1]).slice(0, count);
  console.log(
    `\n${file}: ${(busy / 1e6).toFixed(1)} s busy, ${(idle / 1e6).toFixed(1)} s idle; percentages of busy time`,
  );
  console.log('  by area (self time):');
  for (const [name, micros] of top(areas, 15)) console.log(`    ${percent(micros)}  ${name}`);
  console.log('  by function (self time):');
  for (const [name, micros] of top(functions, Number(values.top))) console.log(`    ${percent(micros)}  ${name}`);
  console.log('  by function (inclusive time):');
  const inclusiveTop = top(
    new Map([...inclusive].filter(([name]) => !name.startsWith('(root)') && !IDLE.has(name.trim()))),
    Number(values.top),
  );
  for (const [name, micros] of inclusiveTop) console.log(`    ${percent(micros)}  ${name}`);
}

/**
 * A strict validator of Kubernetes objects against the API's OpenAPI schemas, offline.
 *
 * The schemas are those that the npm package kubernetes-models ships (version 4.3.1, generated from the
 * OpenAPI document of Kubernetes 1.27.1): one file per definition under `_schemas/`, each holding the
 * definition as a JSON object literal and the id it registers it under. Later versions ship only
 * precompiled validators, without the schemas. Those validators, like the API's own schemas, let unknown
 * fields pass (the API server drops them silently, which is how a misspelt `readinessProbe` goes
 * unnoticed); here every object schema that lists its properties gets `additionalProperties: false`,
 * as `kubectl apply --validate=strict` would reject them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

const schemaPattern = /const schema = (\{[\s\S]*?\n\});\n/;
const idPattern = /register\)\("([^"]+)", schema\)/;

/** The folders of kubernetes-models' and @kubernetes-models/apimachinery's schema files. */
function schemaFolders(repoRoot: string): string[] {
  const models = path.join(repoRoot, 'node_modules/kubernetes-models');
  const machinery = [
    path.join(models, 'node_modules/@kubernetes-models/apimachinery'),
    path.join(repoRoot, 'node_modules/@kubernetes-models/apimachinery'),
  ].find((folder) => existsSync(folder));
  if (!existsSync(models) || !machinery) throw new Error('kubernetes-models is not installed: run npm ci');
  return [path.join(models, '_schemas'), path.join(machinery, '_schemas')];
}

/** Every object schema that names its properties admits no other (recursively, in place). */
function strict(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(strict);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  if (
    schema.properties &&
    schema.additionalProperties === undefined &&
    schema['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    schema.additionalProperties = false;
  }
  Object.values(schema).forEach(strict);
}

const rBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// A resource quantity: a signed decimal number, then a binary (Ki..Ei) or decimal (m, k, M..E) suffix
// or an exponent.
const rQuantity = /^[+-]?(?:\d+|\d+\.\d+|\d+\.|\.\d+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;

export interface Validator {
  /** The problems of one object, each `kind/name: /path message`; none when it is valid. */
  validate(object: any): string[];
  /** How many definitions were loaded. */
  definitions: number;
}

export function loadValidator(repoRoot: string): Validator {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', rBase64);
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  ajv.addFormat('quantity', rQuantity);

  /** Top-level kinds: `apiVersion kind` → schema id. */
  const kinds = new Map<string, string>();
  let definitions = 0;
  for (const folder of schemaFolders(repoRoot)) {
    for (const file of readdirSync(folder)) {
      if (!file.endsWith('.js')) continue;
      const text = readFileSync(path.join(folder, file), 'utf8');
      const literal = schemaPattern.exec(text)?.[1];
      const id = idPattern.exec(text)?.[1];
      if (!literal || !id) continue;
      const schema = JSON.parse(literal) as Record<string, any>;
      strict(schema);
      ajv.addSchema(schema, id);
      definitions++;
      const apiVersion = schema.properties?.apiVersion?.enum?.[0];
      const kind = schema.properties?.kind?.enum?.[0];
      if (typeof apiVersion === 'string' && typeof kind === 'string') kinds.set(`${apiVersion} ${kind}`, id);
    }
  }

  const compiled = new Map<string, ValidateFunction>();
  return {
    definitions,
    validate(object) {
      const name = `${object?.kind}/${object?.metadata?.name}`;
      const id = kinds.get(`${object?.apiVersion} ${object?.kind}`);
      if (!id) return [`${name}: no schema for apiVersion ${object?.apiVersion}, kind ${object?.kind}`];
      let check = compiled.get(id);
      if (!check) {
        check = ajv.getSchema(id)!;
        compiled.set(id, check);
      }
      if (check(object)) return [];
      return describe(check.errors ?? []).map((problem) => `${name}: ${problem}`);
    },
  };
}

/**
 * Ajv's errors, less the noise of the schemas' `oneOf: [{ $ref }, { type: 'null' }]` (a nullable
 * reference): the failed `null` branch and the `oneOf` itself say nothing the branch's own errors do not.
 */
function describe(errors: ErrorObject[]): string[] {
  const problems = errors
    .filter((error) => error.keyword !== 'oneOf' && !(error.keyword === 'type' && error.params.type === 'null'))
    .map((error) => {
      const where = error.instancePath || '/';
      if (error.keyword === 'additionalProperties') {
        return `${where} has the unknown field "${String(error.params.additionalProperty)}"`;
      }
      return `${where} ${error.message ?? error.keyword}`;
    });
  return [...new Set(problems.length > 0 ? problems : errors.map((e) => `${e.instancePath || '/'} ${e.message}`))];
}

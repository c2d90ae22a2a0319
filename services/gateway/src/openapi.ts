import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { AppServer } from '@shipshape/platform';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { securityHeaders } from './securityHeaders.js';

export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

/**
 * The policy of the documentation pages: Swagger UI's scripts and styles come from the gateway itself.
 * Unlike Swagger UI's default it leaves out `upgrade-insecure-requests`, which would break the page on
 * a plain-HTTP gateway reached by any name other than localhost.
 */
const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "font-src 'self' data:",
  "frame-ancestors 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
].join('; ');

/**
 * Registers the OpenAPI document, generated from the zod schemas the routes validate with, and its
 * browsable UI. Must run before the routes are declared: only routes declared afterwards are listed.
 */
export async function registerOpenApi(app: AppServer): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Shipshape API',
        description:
          'The public API of Shipshape, served by the gateway. Errors answer `{ "error": "...", "details": ' +
          '[{ "path", "message" }] }`; 503 answers carry `Retry-After`.',
        version: '0.1.0',
      },
      tags: [
        { name: 'movies', description: 'The movie inventory' },
        { name: 'billing', description: 'Orders, placed through the billing queue' },
        { name: 'votes', description: 'The poll: one current vote per voter, results pushed live' },
        { name: 'system', description: 'What a container sees of its OS and its limits, and hogs to watch them act' },
        { name: 'predict', description: 'A model trained in the image build, with its card' },
        { name: 'status', description: 'Every service’s state, for the dashboard’s overview' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: (input) => withoutUnusedSchemas(jsonSchemaTransformObject(input)),
  });

  // The UI is an HTML document: it gets the headers that only documents need, on top of the API's
  // (its own content security policy comes from `staticCSP`).
  const documentHeaders = securityHeaders({ contentSecurityPolicy: false });
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PATH,
    staticCSP: DOCS_CSP,
    uiConfig: { validatorUrl: null },
    uiHooks: {
      onRequest: (_request, reply, done) => {
        reply.headers(documentHeaders);
        done();
      },
    },
  });

  // Generated once, on first use: the routes do not change after start.
  let document: string | undefined;
  app.get(OPENAPI_PATH, { schema: { hide: true } }, (_request, reply) => {
    document ??= JSON.stringify(app.swagger());
    reply.type('application/json; charset=utf-8').send(document);
  });
}

type OpenApiDocument = ReturnType<typeof jsonSchemaTransformObject>;
interface DocumentParts {
  paths?: unknown;
  components?: { schemas?: Record<string, Record<string, unknown>> };
}

/**
 * The transform lists every schema registered with an id, in both its input and output form; keep only
 * those the routes refer to (directly or through another schema), so the document shows what is used.
 * Their `$schema`/`$id` keys go too: in a component they only repeat what the document says.
 */
function withoutUnusedSchemas(document: OpenApiDocument): OpenApiDocument {
  const { paths, components } = document as DocumentParts;
  const schemas = components?.schemas;
  if (!schemas) return document;
  const used = new Set<string>();
  const pending = [JSON.stringify(paths ?? {})];
  for (let text = pending.pop(); text !== undefined; text = pending.pop()) {
    for (const [, name] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (name === undefined || used.has(name)) continue;
      used.add(name);
      pending.push(JSON.stringify(schemas[name] ?? {}));
    }
  }
  const kept = Object.fromEntries(
    Object.entries(schemas)
      .filter(([name]) => used.has(name))
      .map(([name, { $schema: _schema, $id: _id, ...schema }]) => [name, schema]),
  );
  return { ...document, components: { ...components, schemas: kept } } as OpenApiDocument;
}

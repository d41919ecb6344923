// An OpenID-Certified authorization server (panva/oidc-provider) for the test suite.
//
// Usage: node server.mjs CONFIG.json
// CONFIG holds {"host", "port", "cert", "key", "clients": [oidc-provider client metadata],
// "scopes": [...], "resource": {"indicator", "scope", "clients": [client ids]}, "ttl": seconds}.
// It listens on HTTPS (the test's trustme certificate), then prints one JSON line
// {"issuer": "https://host:port"} on stdout: that line is the readiness signal.
// Tokens are opaque (introspectable) unless the client is listed under resource.clients:
// those get JWT access tokens for the resource indicator (RS256, verifiable with the JWKS).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import process from 'node:process';

import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const host = config.host ?? '127.0.0.1';
const jwtClients = new Set(config.resource?.clients ?? []);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'suite-rs256', alg: 'RS256', use: 'sig' };

const server = createServer({
  cert: readFileSync(config.cert),
  key: readFileSync(config.key),
});

server.listen(config.port ?? 0, host, () => {
  const { port } = server.address();
  const issuer = `https://${host}:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    scopes: config.scopes ?? ['read', 'write'],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    ttl: { ClientCredentials: config.ttl ?? 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => {
          if (oneOf) return oneOf;
          return jwtClients.has(client.clientId) ? config.resource.indicator : undefined;
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, indicator) => {
          if (!config.resource || indicator !== config.resource.indicator) {
            throw new errors.InvalidTarget();
          }
          return {
            scope: config.resource.scope,
            audience: config.resource.indicator,
            accessTokenTTL: config.ttl ?? 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// Third-party clients against the PingOne emulator's HTTPS server (run by
// tests/oidc/test_emulator_third_party.py): panva's openid-client (OIDC discovery, client
// credentials with client_secret_basic or private_key_jwt, protected-resource calls) and jose
// (remote JWKS, JWT verification). TLS trust comes from NODE_EXTRA_CA_CERTS, as the emulator's
// docs tell Node users. Prints one JSON line with what each step saw; exits 1 on a failed step.
//
// Environment: EMU_ISSUER, EMU_CLIENT_ID, EMU_CLIENT_SECRET (or EMU_PRIVATE_KEY_FILE +
// EMU_KEY_ID for private_key_jwt), EMU_API_BASE, EMU_ENV_ID, EMU_PAGE_LIMIT, EMU_NESTING (set:
// also read each group's parents, GET /groups/{id}/memberOfGroups).
import { readFileSync } from 'node:fs';
import * as client from 'openid-client';
import * as jose from 'jose';

const env = process.env;
const out = {};

async function credentials() {
  if (env.EMU_PRIVATE_KEY_FILE) {
    const key = await jose.importPKCS8(readFileSync(env.EMU_PRIVATE_KEY_FILE, 'utf8'), 'RS256');
    return client.PrivateKeyJwt({ key, kid: env.EMU_KEY_ID });
  }
  return client.ClientSecretBasic(env.EMU_CLIENT_SECRET);
}

function describeError(err) {
  const seen = { name: err.name, message: err.message, status: err.status ?? err.response?.status };
  if (err.error) seen.error = err.error;
  if (Array.isArray(err.cause)) seen.challenges = err.cause.map((c) => c.scheme);
  if (err.response?.headers) seen.www_authenticate = err.response.headers.get('www-authenticate');
  return seen;
}

// Ping's docs: follow _links.next.href until there is none; the page size is what came back.
async function pageThrough(config, token, url, key) {
  const items = [];
  let pages = 0;
  while (url) {
    const res = await client.fetchProtectedResource(config, token, new URL(url), 'GET');
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
    const body = await res.json();
    items.push(...(body._embedded?.[key] ?? []));
    pages += 1;
    url = body._links?.next?.href;
  }
  return { items, pages };
}

async function main() {
  const issuer = new URL(env.EMU_ISSUER);
  const config = await client.discovery(issuer, env.EMU_CLIENT_ID, undefined, await credentials());
  const meta = config.serverMetadata();
  out.discovery = {
    issuer: meta.issuer,
    token_endpoint: meta.token_endpoint,
    jwks_uri: meta.jwks_uri,
    authorization_endpoint: meta.authorization_endpoint,
  };

  const tokens = await client.clientCredentialsGrant(config);
  out.token = { token_type: tokens.token_type, expires_in: tokens.expiresIn() };

  const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
  const { payload, protectedHeader } = await jose.jwtVerify(tokens.access_token, jwks, {
    issuer: meta.issuer,
    typ: 'at+jwt',
    algorithms: ['RS256'],
  });
  out.verified = { kid: protectedHeader.kid, client_id: payload.client_id, env: payload.env };

  // A wrong secret over HTTP Basic: RFC 6749 §5.2 requires a 401 with WWW-Authenticate.
  const wrong = await client.discovery(
    issuer, env.EMU_CLIENT_ID, undefined, client.ClientSecretBasic('not-the-secret'));
  try {
    await client.clientCredentialsGrant(wrong);
    out.wrong_secret = { accepted: true };
  } catch (err) {
    out.wrong_secret = describeError(err);
  }

  if (env.EMU_API_BASE) {
    const limit = env.EMU_PAGE_LIMIT ?? '10';
    const base = `${env.EMU_API_BASE}/environments/${env.EMU_ENV_ID}`;
    const users = await pageThrough(config, tokens.access_token, `${base}/users?limit=${limit}`, 'users');
    const groups = await pageThrough(config, tokens.access_token, `${base}/groups?limit=${limit}`, 'groups');
    // Like a catalog ingester: each group's parents (READ Group Nesting), paged too.
    const parents = {};
    for (const group of env.EMU_NESTING ? groups.items : []) {
      const nested = await pageThrough(
        config, tokens.access_token, `${base}/groups/${group.id}/memberOfGroups`, 'groupMemberships');
      parents[group.id] = nested.items.map((m) => m.id);
    }
    out.directory = {
      user_ids: users.items.map((u) => u.id),
      user_pages: users.pages,
      group_ids: groups.items.map((g) => g.id),
      group_pages: groups.pages,
      parents,
    };
  }
}

try {
  await main();
  console.log(JSON.stringify({ ok: true, ...out }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, failed: describeError(err), ...out }));
  process.exitCode = 1;
}

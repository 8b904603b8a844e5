// A real OpenID provider for the login tests: node-oidc-provider (npm "oidc-provider", pinned
// in tools/package.json) on a free loopback port. It prints one JSON line {"issuer": …} once it
// listens, and stops when its standard input closes (the test process ended) or on SIGTERM.
//
// Configuration, from the environment:
//   OIDC_CLIENTS   JSON list of {client_id, client_secret, redirect_uris, code_ttl}: code_ttl is
//                  the authorization code's lifetime in seconds (a short one for the expiry test)
//   OIDC_ACCOUNTS  JSON object {accountId: {name, id_number, ...claims}}
//
// Logging in uses the provider's development interactions: the login form (prompt=login, any
// password) takes an account id, then the consent form (prompt=consent) grants the scopes. The
// tests post those forms with plain HTTP requests.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const toolsDir = process.env.DICHVUCONG_TOOLS_DIR || resolve(here, '../../tools');
const require = createRequire(resolve(toolsDir, 'package.json'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');
const codeTtl = Object.fromEntries(clients.map((c) => [c.client_id, c.code_ttl || 60]));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

const server = createServer();
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: clients.map(({ client_id, client_secret, redirect_uris }) => ({
    client_id,
    client_secret,
    redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], profile: ['name', 'id_number', 'birthdate', 'gender', 'vneid_level'] },
  scopes: ['openid', 'profile'],
  pkce: { required: () => true },
  ttl: { AuthorizationCode: (ctx, code, client) => codeTtl[client.clientId] || 60 },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, sub) {
    const account = accounts[sub];
    if (!account) return undefined;
    return { accountId: sub, async claims() { return { sub, ...account }; } };
  },
});
// Its warnings about development defaults go to stderr; keep stdout for the JSON line.
server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();

// A real OpenID provider (panva/oidc-provider) for Vigil's single sign-on tests.
//
// Usage: node provider.mjs CONFIG.json
//
// CONFIG.json:
//   {
//     "issuer": "http://localhost:PORT",     // the port is taken from here
//     "kid": "key-1",                         // the signing key's id; a fresh RSA key each start
//     "clients": [{ "client_id": "...", "client_secret": "...", "redirect_uris": ["..."] }],
//     "users": { "ann": { "password": "...", "name": "Ann", "email": "ann@example.com",
//                         "groups": ["soc-analysts"] } }
//   }
//
// Signing in needs no development screens: GET /interaction/:uid serves a plain HTML form
// (username, password) that a scripted client or a browser posts to /interaction/:uid/login;
// consent is granted at once for the registered (first-party) clients.
//
// A test can make the token endpoint misbehave: POST /_test/mode with the body one of
// `none`, `wrong_audience`, `expired`, `tampered`. The ID token the token endpoint returns is
// then re-signed with the provider's own key for another audience, re-signed already expired,
// or changed after signing (its signature kept). Key rotation: start again with another `kid`.
//
// Prints `listening <issuer>` once serving; stops on SIGTERM or when stdin closes.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const issuer = new URL(config.issuer);
const port = Number(issuer.port);

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: config.kid || 'key-1', alg: 'RS256', use: 'sig' };

const users = config.users || {};
let mode = 'none';

const provider = new Provider(config.issuer, {
  clients: (config.clients || []).map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...c,
  })),
  jwks: { keys: [jwk] },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  // The claims the scopes name go into the ID token itself (Vigil reads the groups there).
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    groups: ['groups'],
  },
  scopes: ['openid', 'profile', 'email', 'groups'],
  ttl: { AuthorizationCode: 60, IdToken: 3600, AccessToken: 3600, Session: 3600, Interaction: 600, Grant: 3600 },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const u = users[sub];
    if (!u) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, name: u.name || sub, preferred_username: u.username || sub, email: u.email, groups: u.groups || [] };
      },
    };
  },
  // First-party clients: consent is granted without asking.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email groups');
    await grant.save();
    return grant;
  },
});

const b64url = (b) => Buffer.from(b).toString('base64url');

function resign(token, change) {
  const [h, p] = token.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  change(payload);
  const input = `${h}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(crypto.sign('sha256', Buffer.from(input), privateKey))}`;
}

function misbehave(token) {
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'wrong_audience':
      return resign(token, (c) => { c.aud = 'another-app'; c.azp = 'another-app'; });
    case 'expired':
      return resign(token, (c) => { c.iat = now - 7200; c.exp = now - 3600; });
    case 'tampered': {
      const [h, p, s] = token.split('.');
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
      payload.groups = ['it-admins'];
      return `${h}.${b64url(JSON.stringify(payload))}.${s}`;
    }
    default:
      return token;
  }
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && mode !== 'none' && ctx.body && typeof ctx.body.id_token === 'string') {
    ctx.body = { ...ctx.body, id_token: misbehave(ctx.body.id_token) };
  }
});

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Test provider</title></head><body>${body}</body></html>`);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c) => { data += c; if (data.length > 65536) req.destroy(); });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

const callback = provider.callback();

async function handle(req, res) {
  const url = new URL(req.url, config.issuer);
  try {
    if (url.pathname === '/_test/mode' && req.method === 'POST') {
      mode = (await readBody(req)).trim() || 'none';
      res.writeHead(204);
      res.end();
      return;
    }
    const m = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (m) {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== m[1]) throw new Error('interaction mismatch');
      if (!m[2] && req.method === 'GET') {
        const error = url.searchParams.get('error');
        page(res, 200, `<h1>Sign in to the test provider</h1>${error ? `<p id="error">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(details.uid)}/login">
<label for="login">Username</label> <input id="login" name="login" autocomplete="username">
<label for="secret">Password</label> <input id="secret" name="password" type="password">
<button id="submit" type="submit">Sign in</button></form>`);
        return;
      }
      if (m[2] && req.method === 'POST') {
        const form = new URLSearchParams(await readBody(req));
        const login = form.get('login') || '';
        const u = users[login];
        if (!u || u.password !== form.get('password')) {
          res.writeHead(303, { location: `/interaction/${details.uid}?error=wrong+username+or+password` });
          res.end();
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
        return;
      }
    }
    callback(req, res);
  } catch (e) {
    page(res, 400, `<p id="error">${esc(e.message)}</p>`);
  }
}

const servers = [];
function listen(host) {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => { handle(req, res); });
    s.once('error', () => resolve(false));
    s.listen(port, host, () => { servers.push(s); resolve(true); });
  });
}

// `localhost` may be either address: serve both where the machine has both.
const v4 = await listen('127.0.0.1');
const v6 = await listen('::1');
if (!v4 && !v6) {
  console.error(`cannot listen on port ${port}`);
  process.exit(1);
}
console.log(`listening ${config.issuer}`);

function stop() {
  for (const s of servers) s.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();

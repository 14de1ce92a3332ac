// A real OpenID provider for the single sign-on tests: panva/oidc-provider (certified) on 127.0.0.1.
//
// Started by tests/sso/oidc_fixtures.py as `node provider.js` with its configuration in the environment:
//   OIDC_PORT          the port to listen on (127.0.0.1)
//   OIDC_CLIENT        JSON: {"client_id", "client_secret", "redirect_uris": [...]}
//   OIDC_ACCOUNTS      JSON: {"<sub>": {"login", "password", "preferred_username", "email", "name"}, ...}
// It prints "ready <issuer>" on stdout once it listens. Its login page checks the account's password (it is not
// the library's development login, which takes any name); consent is implied, as for a university's own portal.
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const client = JSON.parse(process.env.OIDC_CLIENT);
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS);
const issuer = `http://127.0.0.1:${port}`;

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const configuration = {
  clients: [{
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris || [],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  async findAccount(ctx, sub) {
    const account = accounts[sub];
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          preferred_username: account.preferred_username,
          email: account.email,
          email_verified: true,
          name: account.name,
        };
      },
    };
  },
  // The university's own portal: no consent screen, the scopes asked for are granted.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.params.scope || 'openid');
    await grant.save();
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ['test-provider-cookie-key-not-secret'] },
  pkce: { required: () => false },
};

const provider = new Provider(issuer, configuration);

function loginPage(uid, message) {
  return `<!doctype html><html><head><title>University sign-in</title></head><body>
<h1>University sign-in</h1>${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Username <input name="login" id="login" autocomplete="off"></label>
<label>Password <input name="password" id="password" type="password"></label>
<button type="submit" id="submit">Sign in</button></form></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

// Interactions are served before the provider's own routes; everything else is the provider.
const callback = provider.callback();
const server = createServer(async (req, res) => {
  const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(new URL(req.url, issuer).pathname);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name !== 'login') {
      return provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
    }
    if (req.method === 'POST' && match[2]) {
      const form = await readForm(req);
      const entry = Object.entries(accounts).find(([, a]) => a.login === form.get('login'));
      if (!entry || entry[1].password !== form.get('password')) {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end(loginPage(details.uid, 'Wrong username or password.'));
      }
      return provider.interactionFinished(req, res, { login: { accountId: entry[0] } }, { mergeWithLastSubmission: false });
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end(loginPage(details.uid, ''));
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    return res.end(`interaction failed: ${error.message}`);
  }
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});

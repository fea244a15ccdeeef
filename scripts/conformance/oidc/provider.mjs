// oidc-provider on 127.0.0.1 for flyte-auth's conformance: a public PKCE and device-flow client,
// a confidential client-credentials client, refresh tokens, and JWT access tokens for the
// audience "flyte". Usage: node provider.mjs REDIRECT_URI
// Prints "oidc-provider listening on http://127.0.0.1:PORT" once ready.
import http from 'node:http';
import Provider from 'oidc-provider';

const redirectUri = process.argv[2];
const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'flytectl',
        token_endpoint_auth_method: 'none',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
      },
      {
        client_id: 'robot',
        client_secret: 'robot-secret',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    pkce: { required: () => true, methods: ['S256'] },
    scopes: ['openid', 'offline_access', 'all'],
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'https://flyte',
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'all',
          audience: 'flyte',
          accessTokenTTL: 60,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    issueRefreshToken: async () => true,
    ttl: { AccessToken: 60, DeviceCode: 120, RefreshToken: 3600, Grant: 3600, Session: 3600, Interaction: 600 },
    findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  console.log(`oidc-provider listening on ${issuer}`);
});

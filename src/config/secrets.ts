/**
 * Secret-bearing variables may hold the value itself (Cloud Run injects Secret Manager versions as
 * environment variables — the production path) or a reference `sm://projects/<p>/secrets/<s>/versions/<v>`
 * resolved here at startup. The Secret Manager client is loaded only when a reference is present.
 */
export const SECRET_VARIABLES = [
  'ACCESS_TOKEN_SECRET',
  'GOOGLE_CLIENT_ID',
  'GOOGLE_CLIENT_SECRET',
  'GOOGLE_OAUTH_CLIENT',
] as const;

const REF = /^sm:\/\/(projects\/[^/\s]+\/secrets\/[^/\s]+\/versions\/[^/\s]+)$/;

export interface SecretAccessor {
  access(name: string): Promise<string>;
}

/**
 * The real client. `SECRET_MANAGER_ENDPOINT=http://127.0.0.1:<port>` (tests only) talks REST to a loopback
 * stand-in without credentials.
 */
async function defaultAccessor(env: NodeJS.ProcessEnv): Promise<SecretAccessor> {
  const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
  let client: InstanceType<typeof SecretManagerServiceClient>;
  if (env.SECRET_MANAGER_ENDPOINT) {
    const u = new URL(env.SECRET_MANAGER_ENDPOINT);
    const { OAuth2Client } = await import('google-auth-library');
    const anonymous = new OAuth2Client();
    anonymous.setCredentials({ access_token: 'loopback', expiry_date: Date.now() + 3600_000 });
    client = new SecretManagerServiceClient({
      apiEndpoint: u.hostname,
      port: Number(u.port),
      protocol: u.protocol.replace(':', ''),
      fallback: true,
      authClient: anonymous,
    } as ConstructorParameters<typeof SecretManagerServiceClient>[0]);
  } else {
    client = new SecretManagerServiceClient();
  }
  return {
    async access(name: string) {
      const [version] = await client.accessSecretVersion({ name });
      const data = version.payload?.data;
      if (!data) throw new Error(`secret ${name} has no payload`);
      return typeof data === 'string'
        ? Buffer.from(data, 'base64').toString('utf8')
        : Buffer.from(data).toString('utf8');
    },
  };
}

/** Returns a copy of env with every sm:// reference in a secret variable replaced by its value. */
export async function resolveSecretReferences(
  env: NodeJS.ProcessEnv,
  accessor?: SecretAccessor,
): Promise<NodeJS.ProcessEnv> {
  const out: NodeJS.ProcessEnv = { ...env };
  const refs = SECRET_VARIABLES.filter((k) => typeof env[k] === 'string' && env[k]!.startsWith('sm://'));
  if (refs.length === 0) return out;
  const sm = accessor ?? (await defaultAccessor(env));
  for (const k of refs) {
    // ACCESS_TOKEN_SECRET may list "new,previous"; each item may be a reference.
    const items = env[k]!.split(',').map((s) => s.trim());
    const resolved: string[] = [];
    for (const item of items) {
      const m = REF.exec(item);
      if (!item.startsWith('sm://')) {
        resolved.push(item);
        continue;
      }
      if (!m)
        throw new Error(
          `${k} holds a malformed Secret Manager reference; expected sm://projects/<project>/secrets/<name>/versions/<version>`,
        );
      try {
        resolved.push((await sm.access(m[1]!)).trim());
      } catch (err) {
        throw new Error(
          `${k}: could not read ${m[1]} from Secret Manager (${(err as Error).message}). Grant the service account roles/secretmanager.secretAccessor on it.`,
        );
      }
    }
    out[k] = resolved.join(',');
  }
  return out;
}

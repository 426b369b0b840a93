/**
 * Every key the server uses is derived from ACCESS_TOKEN_SECRET with HKDF, one label per purpose, so one
 * secret in Secret Manager is all an admin manages. With "new,previous" the first value signs and
 * encrypts, and all values verify and decrypt, so rotation does not log anyone out.
 */
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

function derive(secret: string, label: string, length = 32): Buffer {
  return Buffer.from(
    hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), `google-contacts-mcp/${label}`, length),
  );
}

export interface EcJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  d: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

/** A P-256 private key derived deterministically from the secret (for id_token signing). */
function deriveEcJwk(secret: string): EcJwk {
  // A derived scalar is a valid private key unless it is 0 or >= n (probability ~2^-32); step the label if so.
  for (let i = 0; i < 16; i++) {
    const d = derive(secret, `id-token-signing-ec/${i}`);
    try {
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(d);
      const pub = ecdh.getPublicKey();
      const x = pub.subarray(1, 33).toString('base64url');
      const y = pub.subarray(33, 65).toString('base64url');
      const kid = createHash('sha256').update(pub).digest('base64url').slice(0, 16);
      return { kty: 'EC', crv: 'P-256', x, y, d: d.toString('base64url'), kid, alg: 'ES256', use: 'sig' };
    } catch {
      // out of range: try the next label
    }
  }
  throw new Error('could not derive an EC key');
}

export class KeyRing {
  readonly accessTokenKeys: Buffer[];
  readonly cookieKeys: string[];
  readonly jwks: { keys: EcJwk[] };
  private readonly encryptionKeys: Buffer[];

  constructor(secrets: string[]) {
    if (secrets.length === 0) throw new Error('KeyRing needs at least one secret');
    this.accessTokenKeys = secrets.map((s) => derive(s, 'access-token-hs256'));
    this.cookieKeys = secrets.map((s) => derive(s, 'cookies').toString('base64url'));
    this.encryptionKeys = secrets.map((s) => derive(s, 'google-token-aes-256-gcm'));
    this.jwks = { keys: secrets.map(deriveEcJwk) };
  }

  /** AES-256-GCM; output "v1.<iv>.<tag>.<ciphertext>" (base64url). `aad` binds the ciphertext to its record. */
  encrypt(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKeys[0]!, iv);
    cipher.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join(
      '.',
    );
  }

  decrypt(sealed: string, aad: string): string {
    const [v, iv, tag, ct] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('unrecognised ciphertext');
    for (const key of this.encryptionKeys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(aad));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        // try the previous key
      }
    }
    throw new Error('ciphertext could not be decrypted with any configured ACCESS_TOKEN_SECRET');
  }
}

/** Stored ids of bearer values (codes, refresh tokens, sessions, client secrets) are SHA-256 hashes. */
export function hashValue(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

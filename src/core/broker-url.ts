import { displayUrl, parseCredentialUrl } from './credential-url.js';
import { ErrorCode, ScalerError } from './errors.js';

/** What the Redis client needs from a Celery broker URL, with the secret kept apart. */
export interface BrokerEndpoint {
  readonly host: string;
  readonly port: number;
  /** Selects the keyspace and is part of the fanout channel name (`/{db}.`). */
  readonly db: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** `rediss://`; `ssl_cert_reqs=none` (as Celery accepts it) turns off certificate checks. */
  readonly tls: { readonly rejectUnauthorized: boolean } | undefined;
  /** `redis://host:port/db` without credentials: the only form that may be logged. */
  readonly display: string;
}

const DEFAULT_PORT = 6379;
const NO_VERIFY = new Set(['none', 'cert_none']);

function invalid(reason: string): ScalerError {
  return new ScalerError(ErrorCode.InvalidConfig, `invalid Celery broker URL: ${reason}`);
}

/** Parses `redis://[user:password@]host[:port][/db]` and `rediss://...`; errors never echo the URL. */
export function parseBrokerUrl(url: string): BrokerEndpoint {
  const parsed = parseCredentialUrl(url);
  if (!parsed.ok) throw invalid(parsed.reason);
  const { scheme, host, username, password, params } = parsed.value;
  if (scheme !== 'redis' && scheme !== 'rediss') throw invalid('the scheme is not redis:// or rediss://');
  if (host === '') throw invalid('no host');
  const port = parsed.value.port ?? DEFAULT_PORT;
  const path = parsed.value.path.replace(/\/+$/, '');
  if (path !== '' && !/^\d+$/.test(path)) throw invalid('the path must be a database number');
  const db = path === '' ? 0 : Number(path);
  const certReqs = params.get('ssl_cert_reqs')?.toLowerCase();
  return {
    host,
    port,
    db,
    username,
    password,
    tls: scheme === 'rediss' ? { rejectUnauthorized: certReqs === undefined || !NO_VERIFY.has(certReqs) } : undefined,
    display: `${displayUrl({ scheme, username: undefined, host, port, path: '' })}${db}`,
  };
}

/** Removes the password (raw and URL-encoded) from text that may reach a log or an error. */
export function redact(text: string, endpoint: BrokerEndpoint): string {
  const { password } = endpoint;
  if (password === undefined) return text;
  let out = text;
  for (const secret of new Set([password, encodeURIComponent(password)])) out = out.split(secret).join('***');
  return out;
}

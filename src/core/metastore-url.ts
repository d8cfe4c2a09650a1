import type { Parsed } from './credential-url.js';
import { displayUrl, parseCredentialUrl } from './credential-url.js';

/**
 * Where a metastore is and how to log in, parsed once from whatever form an SRE has it in:
 * libpq's `postgresql://` / `postgres://` URI, Airflow's SQLAlchemy form `postgresql+psycopg2://`
 * (KEDA's own trigger rejects that one, apache/airflow#42070), or a libpq keyword/value string
 * (`host=… port=… dbname=… user=… password=…`, PostgreSQL docs "Connection Strings"). The
 * password never leaves this structure except to the database driver.
 */
export interface MetastoreConnection {
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly user: string | undefined;
  /** Secret: never log it, never put it in an error. */
  readonly password: string | undefined;
  readonly database: string | undefined;
  /** Every other parameter (sslmode, sslrootcert, …) by name; never credentials. */
  readonly params: Readonly<Record<string, string>>;
  /** `postgresql://user@host:port/db`: the only form that may be logged. */
  readonly display: string;
}

/** What every reason is followed by, so a person sees the expected shape (never their value). */
export const METASTORE_URL_SHAPE =
  'expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?sslmode=…] or host=… port=… dbname=… user=… [password=…]';

const URI_SCHEME = /^(postgres|postgresql)(\+[a-z0-9_]+)?:\/\//i;
const OTHER_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const CONNECTION_KEYS = new Set(['host', 'hostaddr', 'port', 'dbname', 'user', 'password']);

/** libpq's sslmode values (PostgreSQL docs, "SSL Mode Descriptions"); pg would read any other as "encrypt". */
const SSL_MODES = new Set(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']);

interface Fields {
  host: string | undefined;
  port: string | undefined;
  user: string | undefined;
  password: string | undefined;
  database: string | undefined;
  params: Record<string, string>;
}

function finish(fields: Fields): Parsed<MetastoreConnection> {
  const host = fields.host === '' ? undefined : fields.host;
  if (host === undefined) return { ok: false, reason: 'has no host' };
  if (host.includes(',')) return { ok: false, reason: 'lists several hosts; give one (the PgBouncer Service or the RDS endpoint)' };
  let port: number | undefined;
  if (fields.port !== undefined && fields.port !== '') {
    port = Number(fields.port);
    if (!/^[0-9]+$/.test(fields.port) || port < 1 || port > 65_535) return { ok: false, reason: 'has a port outside 1–65535' };
  }
  const sslmode = fields.params['sslmode'];
  if (sslmode !== undefined && !SSL_MODES.has(sslmode)) return { ok: false, reason: `has an sslmode that is not libpq's (${[...SSL_MODES].join(', ')})` };
  const user = fields.user === '' ? undefined : fields.user;
  const database = fields.database === '' ? undefined : fields.database;
  const display = displayUrl({ scheme: 'postgresql', username: user, host, port, path: database ?? '' });
  return {
    ok: true,
    value: { host, port, user, password: fields.password === '' ? undefined : fields.password, database, params: fields.params, display },
  };
}

function fromUri(raw: string): Parsed<MetastoreConnection> {
  const parsed = parseCredentialUrl(raw);
  if (!parsed.ok) return parsed;
  const { username, password, host, port, path, params } = parsed.value;
  const fields: Fields = { host, port: port === undefined ? undefined : String(port), user: username, password, database: path, params: {} };
  for (const [key, value] of params) {
    if (key === 'host' || key === 'hostaddr') fields.host = value;
    else if (key === 'port') fields.port = value;
    else if (key === 'user') fields.user = value;
    else if (key === 'password') fields.password = value;
    else if (key === 'dbname') fields.database = value;
    else fields.params[key] = value;
  }
  return finish(fields);
}

/**
 * libpq's keyword/value syntax (`conninfo_parse` in libpq's fe-connect.c): `key = value` pairs
 * separated by whitespace; a value is single-quoted (with `\'` and `\\`) or runs to the next
 * whitespace, and a backslash escapes the next character either way.
 */
function fromKeywords(raw: string): Parsed<MetastoreConnection> {
  const fields: Fields = { host: undefined, port: undefined, user: undefined, password: undefined, database: undefined, params: {} };
  let i = 0;
  const space = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
  while (i < raw.length) {
    while (space(raw[i])) i++;
    if (i >= raw.length) break;
    const keyStart = i;
    while (i < raw.length && raw[i] !== '=' && !space(raw[i])) i++;
    const key = raw.slice(keyStart, i);
    while (space(raw[i])) i++;
    if (raw[i] !== '=' || key === '') return { ok: false, reason: `is a keyword/value string with a keyword not followed by "=" (at character ${keyStart + 1})` };
    i++;
    while (space(raw[i])) i++;
    let value = '';
    if (raw[i] === "'") {
      i++;
      let closed = false;
      while (i < raw.length) {
        const c = raw[i] as string;
        if (c === '\\' && i + 1 < raw.length) {
          value += raw[i + 1] ?? '';
          i += 2;
        } else if (c === "'") {
          closed = true;
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) return { ok: false, reason: 'is a keyword/value string with an unterminated quoted value' };
    } else {
      while (i < raw.length && !space(raw[i])) {
        if (raw[i] === '\\' && i + 1 < raw.length) i++;
        value += raw[i] ?? '';
        i++;
      }
    }
    const name = key.toLowerCase();
    if (!/^[a-z_]+$/.test(name)) return { ok: false, reason: `is a keyword/value string with a keyword that is not a libpq keyword (at character ${keyStart + 1})` };
    if (name === 'host' || name === 'hostaddr') fields.host = value;
    else if (name === 'port') fields.port = value;
    else if (name === 'user') fields.user = value;
    else if (name === 'password') fields.password = value;
    else if (name === 'dbname') fields.database = value;
    else if (!CONNECTION_KEYS.has(name)) fields.params[name] = value;
  }
  return finish(fields);
}

/** Parses a metastore connection string in any of the three forms; reasons never quote it. */
export function parseMetastoreUrl(raw: string): Parsed<MetastoreConnection> {
  if (raw.trim() === '') return { ok: false, reason: 'is empty' };
  if (URI_SCHEME.test(raw)) return fromUri(raw);
  if (OTHER_SCHEME.test(raw)) return { ok: false, reason: 'must start with postgresql://, postgres:// or postgresql+<driver>://' };
  if (raw.includes('=')) return fromKeywords(raw);
  return { ok: false, reason: 'is neither a postgresql:// URI nor a keyword/value string' };
}

/** The same connection with the password taken from elsewhere (a password file). */
export function withPassword(connection: MetastoreConnection, password: string): MetastoreConnection {
  return { ...connection, password };
}

/**
 * Metastore URIs as SREs have them: libpq's `postgresql://` / `postgres://`, or Airflow's
 * SQLAlchemy form `postgresql+psycopg2://` (KEDA's own trigger rejects that one, apache/airflow#42070).
 */
const SCHEME = /^(postgres|postgresql)(\+[a-z0-9_]+)?:\/\//i;

export type UrlCheck = { readonly ok: true; readonly url: string } | { readonly ok: false; readonly reason: string };

/** Validates a URI and rewrites the scheme to `postgresql://`; credentials stay URL-encoded. */
export function normalizeMetastoreUrl(raw: string): UrlCheck {
  const match = SCHEME.exec(raw);
  if (match === null) {
    return { ok: false, reason: 'must start with postgresql://, postgres:// or postgresql+<driver>://' };
  }
  const url = `postgresql://${raw.slice(match[0].length)}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'is not a valid URI' };
  }
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
    return { ok: false, reason: 'has no host' };
  }
  try {
    decodeURIComponent(parsed.username);
    decodeURIComponent(parsed.password);
  } catch {
    return { ok: false, reason: 'has credentials that are not valid percent-encoding' };
  }
  return { ok: true, url };
}

/**
 * The URI with its password replaced, for logs and error messages: the userinfo password (up to the
 * last `@` before any `?`/`#`, so an unencoded `/` or `@` in it is still hidden) and `password=`.
 */
export function redactUrl(raw: string): string {
  return raw.replace(/(:\/\/[^:@/?#]*):[^?#]*@/, '$1:*****@').replace(/([?&]password=)[^&#]*/gi, '$1*****');
}

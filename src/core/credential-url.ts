/**
 * Splits `scheme://[user[:password]@]host[:port][/path][?query]` with the credentials kept apart,
 * for every URL that may carry a password (the metastore, the Celery broker). Nothing here ever
 * puts any part of the input into a reason: a malformed value is described by its shape only.
 *
 * The usual trap is an unencoded reserved character in the password. WHATWG URL parsing ends the
 * authority at the first `/`, `?` or `#`, so `user:pa/ss@db` becomes host `user`, port `pa`, path
 * `/ss@db`, and fragments of the password reach logs and DNS. Here an `@` that follows a `/`, `?`
 * or `#`, or any `#`, is refused: the credentials must be percent-encoded (or given elsewhere).
 */
export interface CredentialUrl {
  /** Lowercase scheme without `://`, e.g. `postgresql+psycopg2`. */
  readonly scheme: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** Without brackets for IPv6; '' when absent. */
  readonly host: string;
  readonly port: number | undefined;
  /** Percent-decoded path without the leading `/`. */
  readonly path: string;
  /** Percent-decoded query parameters, in order (a repeated key keeps the last value). */
  readonly params: ReadonlyMap<string, string>;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

const ENCODE_HINT = 'percent-encode @ / ? # : % in the user name and password (e.g. / as %2F)';

export function parseCredentialUrl(raw: string): Parsed<CredentialUrl> {
  const scheme = SCHEME.exec(raw);
  if (scheme === null) return { ok: false, reason: 'does not start with scheme://' };
  const rest = raw.slice(scheme[0].length);
  if (rest.includes('#')) {
    return { ok: false, reason: `contains "#", which a connection URL never has unencoded: ${ENCODE_HINT}` };
  }
  const at = rest.lastIndexOf('@');
  let userinfo: string | undefined;
  let location = rest;
  if (at >= 0) {
    userinfo = rest.slice(0, at);
    if (/[/?]/.test(userinfo)) {
      return { ok: false, reason: `has "@" after a "/" or "?", so the credentials cannot be told apart from the host: ${ENCODE_HINT}` };
    }
    location = rest.slice(at + 1);
  }
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const rawUser = colon === -1 ? userinfo : userinfo.slice(0, colon);
    const rawPassword = colon === -1 ? undefined : userinfo.slice(colon + 1);
    username = decode(rawUser);
    password = rawPassword === undefined ? undefined : decode(rawPassword);
    if (username === undefined || (rawPassword !== undefined && password === undefined)) {
      return { ok: false, reason: `has credentials that are not valid percent-encoding: ${ENCODE_HINT}` };
    }
    if (username === '') username = undefined;
    if (password === '') password = undefined;
  }

  const authorityEnd = location.search(/[/?]/);
  const authority = authorityEnd === -1 ? location : location.slice(0, authorityEnd);
  const tail = authorityEnd === -1 ? '' : location.slice(authorityEnd);
  const hostPort = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*)(?::([0-9]*))?$/.exec(authority);
  if (hostPort === null) return { ok: false, reason: 'has a host or port that is not host[:port]' };
  const host = (hostPort[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  if (!/^[A-Za-z0-9._~%:-]*$/.test(host)) return { ok: false, reason: 'has a host name with characters a host name cannot have' };
  let port: number | undefined;
  if (hostPort[2] !== undefined && hostPort[2] !== '') {
    port = Number(hostPort[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) return { ok: false, reason: 'has a port outside 1–65535' };
  }

  const question = tail.indexOf('?');
  const rawPath = (question === -1 ? tail : tail.slice(0, question)).replace(/^\//, '');
  const path = decode(rawPath);
  if (path === undefined) return { ok: false, reason: 'has a path that is not valid percent-encoding' };
  const params = new Map<string, string>();
  if (question !== -1) {
    for (const pair of tail.slice(question + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const key = decode((eq === -1 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
      const value = decode((eq === -1 ? '' : pair.slice(eq + 1)).replace(/\+/g, ' '));
      if (key === undefined || value === undefined) return { ok: false, reason: 'has query parameters that are not valid percent-encoding' };
      params.set(key, value);
    }
  }
  return { ok: true, value: { scheme: scheme[1]?.toLowerCase() ?? '', username, password, host, port, path, params } };
}

/** `scheme://user@host:port/path`: the only form of such a URL that may be logged. */
export function displayUrl(url: Pick<CredentialUrl, 'scheme' | 'username' | 'host' | 'port' | 'path'>): string {
  const user = url.username === undefined ? '' : `${encodeURIComponent(url.username)}@`;
  const host = url.host.includes(':') ? `[${url.host}]` : url.host;
  const port = url.port === undefined ? '' : `:${url.port}`;
  return `${url.scheme}://${user}${host}${port}/${encodeURIComponent(url.path)}`;
}

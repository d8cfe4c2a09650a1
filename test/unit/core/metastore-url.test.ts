import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseMetastoreUrl } from '../../../src/core/metastore-url.js';
import type { MetastoreConnection } from '../../../src/core/metastore-url.js';

function accept(raw: string): MetastoreConnection {
  const parsed = parseMetastoreUrl(raw);
  if (!parsed.ok) throw new Error(`rejected: ${parsed.reason}`);
  return parsed.value;
}

function reject(raw: string): string {
  const parsed = parseMetastoreUrl(raw);
  if (parsed.ok) throw new Error('accepted');
  return parsed.reason;
}

describe('parseMetastoreUrl: URIs', () => {
  it.each([
    'postgresql://u:p@h:5432/db',
    'postgres://u:p@h:5432/db',
    'postgresql+psycopg2://u:p@h:5432/db',
    'postgres+asyncpg://u:p@h:5432/db',
    'PostgreSQL://u:p@h:5432/db',
  ])('reads %s in every scheme Airflow and libpq use', (raw) => {
    expect(accept(raw)).toEqual({ host: 'h', port: 5432, user: 'u', password: 'p', database: 'db', params: {}, display: 'postgresql://u@h:5432/db' });
  });

  it('decodes percent-encoded credentials and database names', () => {
    const c = accept('postgresql://us%40er:p%40ss%2Fw%3Ard%20x%23@h/air%20flow');
    expect([c.user, c.password, c.database]).toEqual(['us@er', 'p@ss/w:rd x#', 'air flow']);
  });

  it('takes a password that contains ":" after the first one', () => {
    expect(accept('postgresql://u:a:b:c@h/db').password).toBe('a:b:c');
  });

  it('takes an unencoded "@" in the password by the last "@" before the host', () => {
    expect(accept('postgresql://u:p@ss@h/db')).toMatchObject({ user: 'u', password: 'p@ss', host: 'h' });
  });

  it('reads credentials, host and database given as query parameters, keeps the rest by name', () => {
    const c = accept('postgresql:///airflow?host=/var/run/postgresql&user=a&password=pw&sslmode=require&application_name=x');
    expect(c).toMatchObject({ host: '/var/run/postgresql', user: 'a', password: 'pw', database: 'airflow' });
    expect(c.params).toEqual({ sslmode: 'require', application_name: 'x' });
  });

  it('reads an IPv6 host', () => {
    expect(accept('postgresql://[::1]:6432/db')).toMatchObject({ host: '::1', port: 6432 });
  });

  it('shows only user, host, port and database in the display form', () => {
    expect(accept('postgresql://airflow:s3cret@pgbouncer:6432/airflow?sslmode=require&password=x').display).toBe(
      'postgresql://airflow@pgbouncer:6432/airflow',
    );
  });

  it.each([
    ['postgresql://u:pa/ss@h/db', '"@" after a "/" or "?"'],
    ['postgresql://u:pa?ss@h/db', '"@" after a "/" or "?"'],
    ['postgresql://u:p@ss/wo:rd?x@h/db', '"@" after a "/" or "?"'],
    ['postgresql://u:pa#ss@h/db', 'contains "#"'],
    ['postgresql://u:%zz@h/db', 'not valid percent-encoding'],
    ['postgresql://h:notaport/db', 'host[:port]'],
    ['postgresql://h:99999/db', 'port outside'],
    ['postgresql://', 'has no host'],
    ['postgresql:///db?sslmode=require', 'has no host'],
    ['postgresql://a,b/db', 'characters a host name cannot have'],
    ['mysql://u:p@h/db', 'must start with postgresql://'],
    ['jdbc:postgresql://u:p@h/db', 'neither'],
    ['', 'is empty'],
  ])('rejects %j: %s', (raw, reason) => {
    expect(reject(raw)).toContain(reason);
  });
});

describe('parseMetastoreUrl: libpq keyword/value strings', () => {
  it('reads every connection keyword and keeps the others by name', () => {
    expect(accept("host=pgbouncer port=6432 dbname=airflow user=airflow password=s3cret sslmode=verify-full sslrootcert=/ca.pem")).toEqual({
      host: 'pgbouncer',
      port: 6432,
      user: 'airflow',
      password: 's3cret',
      database: 'airflow',
      params: { sslmode: 'verify-full', sslrootcert: '/ca.pem' },
      display: 'postgresql://airflow@pgbouncer:6432/airflow',
    });
  });

  it('reads quoted values with spaces and escaped quotes, and spaces around "="', () => {
    const c = accept("host = db  password = 'it\\'s \\'quoted\\' \\\\ x' user=u dbname='air flow'");
    expect(c.password).toBe("it's 'quoted' \\ x");
    expect(c.database).toBe('air flow');
  });

  it('reads backslash escapes in unquoted values', () => {
    expect(accept('host=db password=a\\ b').password).toBe('a b');
  });

  it.each([
    ['host=db password', 'not followed by "="'],
    ["host=db password='open", 'unterminated'],
    ['host=a,b dbname=x', 'several hosts'],
    ['dbname=x user=y', 'has no host'],
    ['host=db port=x', 'port outside'],
  ])('rejects %j: %s', (raw, reason) => {
    expect(reject(raw)).toContain(reason);
  });
});

describe('parseMetastoreUrl never quotes its input', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9!$&'()*+,;=%/?#@:-]{8,24}$/).filter((s) => /[A-Za-z0-9]{5}/.test(s));

  it('keeps any generated password out of every rejection reason', () => {
    fc.assert(
      fc.property(
        secret,
        fc.constantFrom(
          (pw: string) => `postgresql://airflow:${pw}@pgbouncer:6432/airflow`,
          (pw: string) => `postgresql://airflow:${pw}@pgbouncer:x/airflow`,
          (pw: string) => `mysql://airflow:${pw}@db/airflow`,
          (pw: string) => `host=db password=${pw} port=x`,
          (pw: string) => `host=db password='${pw}`,
          (pw: string) => `host=a,b password=${pw}`,
          (pw: string) => pw,
        ),
        (pw, make) => {
          const parsed = parseMetastoreUrl(make(pw));
          if (!parsed.ok) expect(parsed.reason).not.toContain(pw);
          else expect(parsed.value.display).not.toContain(pw);
        },
      ),
    );
  });

  it('either refuses a password with reserved characters or returns it whole, never split into the host', () => {
    fc.assert(
      fc.property(secret, (pw) => {
        const parsed = parseMetastoreUrl(`postgresql://airflow:${pw}@pgbouncer.example:6432/airflow`);
        if (!parsed.ok) return;
        expect(parsed.value.host).toBe('pgbouncer.example');
        expect(parsed.value.display).toBe('postgresql://airflow@pgbouncer.example:6432/airflow');
      }),
    );
  });
});

describe('parseMetastoreUrl: sslmode', () => {
  it.each(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'])('takes libpq\'s sslmode=%s', (mode) => {
    expect(accept(`postgresql://u:p@h/db?sslmode=${mode}`).params).toEqual({ sslmode: mode });
    expect(accept(`host=h dbname=db sslmode=${mode}`).params).toEqual({ sslmode: mode });
  });

  it('refuses an sslmode libpq does not know, in both forms, listing the ones it does and quoting nothing', () => {
    for (const raw of ['postgresql://u:Secret1@h/db?sslmode=requir', 'host=h password=Secret1 sslmode=Require']) {
      const reason = reject(raw);
      expect(reason).toContain("has an sslmode that is not libpq's (disable, allow, prefer, require, verify-ca, verify-full)");
      expect(reason).not.toContain('Secret1');
      expect(reason).not.toMatch(/requir[^e]|Require/);
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { normalizeMetastoreUrl, redactUrl } from '../../../src/core/metastore-url.js';

describe('normalizeMetastoreUrl', () => {
  it.each([
    ['postgresql://u:p@h:5432/db', 'postgresql://u:p@h:5432/db'],
    ['postgres://u:p@h:5432/db', 'postgresql://u:p@h:5432/db'],
    ['postgresql+psycopg2://u:p@h:5432/db', 'postgresql://u:p@h:5432/db'],
    ['postgresql+psycopg://u:p@h/db', 'postgresql://u:p@h/db'],
    ['postgres+asyncpg://u:p@h/db', 'postgresql://u:p@h/db'],
    ['postgresql+pg8000://u:p@h/db', 'postgresql://u:p@h/db'],
    ['PostgreSQL://u:p@h/db', 'postgresql://u:p@h/db'],
    ['postgresql://h/db', 'postgresql://h/db'],
    ['postgresql://h', 'postgresql://h'],
    ['postgresql://[::1]:5432/db', 'postgresql://[::1]:5432/db'],
  ])('accepts %s as %s', (raw, url) => {
    expect(normalizeMetastoreUrl(raw)).toEqual({ ok: true, url });
  });

  it('keeps credentials and query parameters URL-encoded', () => {
    const raw = 'postgresql+psycopg2://us%40er:p%40ss%2Fw%3Ard@h:6432/air%20flow?sslmode=require&application_name=x';
    expect(normalizeMetastoreUrl(raw)).toEqual({
      ok: true,
      url: 'postgresql://us%40er:p%40ss%2Fw%3Ard@h:6432/air%20flow?sslmode=require&application_name=x',
    });
  });

  it('accepts a socket directory given as ?host= instead of an authority host', () => {
    expect(normalizeMetastoreUrl('postgresql:///airflow?host=/var/run/postgresql')).toEqual({
      ok: true,
      url: 'postgresql:///airflow?host=/var/run/postgresql',
    });
  });

  it.each(['mysql://u:p@h/db', 'postgresqlx://h/db', 'http://h/db', 'h:5432/db', '', 'postgresql:/h/db', ' postgresql://h/db'])(
    'rejects %j for its scheme',
    (raw) => {
      const check = normalizeMetastoreUrl(raw);
      expect(check.ok).toBe(false);
      if (!check.ok) expect(check.reason).toContain('must start with postgresql://');
    },
  );

  it.each(['postgresql://', 'postgresql:///db', 'postgresql:///db?sslmode=require'])(
    'rejects %j for having no host',
    (raw) => {
      expect(normalizeMetastoreUrl(raw)).toEqual({ ok: false, reason: 'has no host' });
    },
  );

  it.each(['postgresql://h:notaport/db', 'postgresql://h:99999/db', 'postgresql://u:p@h:x/db', 'postgresql://u:p@/db'])(
    'rejects %j as not a valid URI',
    (raw) => {
      expect(normalizeMetastoreUrl(raw)).toEqual({ ok: false, reason: 'is not a valid URI' });
    },
  );

  it.each(['postgresql://u:%zz@h/db', 'postgresql://%E0%A4%A@h/db'])('rejects bad percent-encoding in %j', (raw) => {
    expect(normalizeMetastoreUrl(raw)).toEqual({
      ok: false,
      reason: 'has credentials that are not valid percent-encoding',
    });
  });

  it('never puts the URL itself into the rejection reason', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (raw) => {
        const check = normalizeMetastoreUrl(`postgresql://u:${raw}@h/db`);
        if (!check.ok && raw.length > 3) expect(check.reason).not.toContain(raw);
      }),
    );
  });

  it('always yields a postgresql:// URL when it accepts', () => {
    fc.assert(
      fc.property(fc.constantFrom('postgres', 'postgresql', 'POSTGRES', 'postgresql+psycopg2'), fc.webAuthority(), (scheme, authority) => {
        const check = normalizeMetastoreUrl(`${scheme}://${authority}/db`);
        if (check.ok) expect(check.url.startsWith('postgresql://')).toBe(true);
      }),
    );
  });
});

describe('redactUrl', () => {
  it.each([
    ['postgresql://airflow:s3cret@h:5432/db', 'postgresql://airflow:*****@h:5432/db'],
    ['postgresql+psycopg2://airflow:s3cret@h/db', 'postgresql+psycopg2://airflow:*****@h/db'],
    ['postgres://:s3cret@h/db', 'postgres://:*****@h/db'],
    ['mysql://airflow:s3cret@h/db', 'mysql://airflow:*****@h/db'],
    ['postgresql://airflow:p%40ss@h/db', 'postgresql://airflow:*****@h/db'],
    ['postgresql://airflow:s3cret@h/db?sslmode=require', 'postgresql://airflow:*****@h/db?sslmode=require'],
  ])('masks the password in %s', (raw, expected) => {
    expect(redactUrl(raw)).toBe(expected);
  });

  it('masks a password containing an unencoded "/" or "@"', () => {
    expect(redactUrl('postgresql://airflow:s3/cret@h/db')).toBe('postgresql://airflow:*****@h/db');
    expect(redactUrl('postgresql://airflow:s3@cret@h/db')).toBe('postgresql://airflow:*****@h/db');
  });

  it('masks a password given as a query parameter', () => {
    expect(redactUrl('postgresql://h/db?user=airflow&password=s3cret&sslmode=require')).toBe(
      'postgresql://h/db?user=airflow&password=*****&sslmode=require',
    );
    expect(redactUrl('postgresql:///db?password=s3cret')).toBe('postgresql:///db?password=*****');
  });

  it.each([
    'postgresql://h:5432/db',
    'postgresql://airflow@h:5432/db',
    'postgresql://h/db?sslmode=require&application_name=x',
    'postgresql:///db?host=/var/run/postgresql',
    'not a url at all',
    '',
  ])('leaves %j without a password unchanged', (raw) => {
    expect(redactUrl(raw)).toBe(raw);
  });

  it('never leaves a generated password in the output', () => {
    const password = fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=%/@-]{6,30}$/).filter((pw) => /[A-Za-z0-9]{6}/.test(pw));
    fc.assert(
      fc.property(fc.constantFrom('postgresql', 'postgres', 'postgresql+psycopg2', 'mysql'), fc.constantFrom('airflow', ''), password, (scheme, user, pw) => {
        const redacted = redactUrl(`${scheme}://${user}:${pw}@pgbouncer.example:6432/airflow`);
        expect(redacted).toBe(`${scheme}://${user}:*****@pgbouncer.example:6432/airflow`);
      }),
    );
  });
});

import { describe, expect, it } from 'vitest';

import { parseBrokerUrl, redact } from '../../../src/core/broker-url.js';
import { ErrorCode } from '../../../src/core/errors.js';

describe('parseBrokerUrl', () => {
  it('takes host, port, password and database from the Airflow chart broker URL', () => {
    expect(parseBrokerUrl('redis://:s3cr%40t@airflow-redis:6379/0')).toEqual({
      host: 'airflow-redis',
      port: 6379,
      db: 0,
      username: undefined,
      password: 's3cr@t',
      tls: undefined,
      display: 'redis://airflow-redis:6379/0',
    });
  });

  it('defaults to port 6379 and database 0', () => {
    expect(parseBrokerUrl('redis://redis')).toMatchObject({ host: 'redis', port: 6379, db: 0, password: undefined });
  });

  it('reads the database number from the path', () => {
    expect(parseBrokerUrl('redis://redis:6380/11').db).toBe(11);
  });

  it('keeps an ACL user name', () => {
    expect(parseBrokerUrl('redis://airflow:pw@redis/2')).toMatchObject({ username: 'airflow', password: 'pw', db: 2 });
  });

  it('turns on TLS for rediss:// and verifies certificates unless ssl_cert_reqs says none', () => {
    expect(parseBrokerUrl('rediss://redis:6380/0').tls).toEqual({ rejectUnauthorized: true });
    expect(parseBrokerUrl('rediss://redis:6380/0?ssl_cert_reqs=CERT_NONE').tls).toEqual({ rejectUnauthorized: false });
    expect(parseBrokerUrl('rediss://redis:6380/0?ssl_cert_reqs=required').tls).toEqual({ rejectUnauthorized: true });
  });

  it('strips the brackets of an IPv6 host', () => {
    expect(parseBrokerUrl('redis://[::1]:6379/0').host).toBe('::1');
  });

  it.each([
    ['not a URL', 'definitely not a url'],
    ['another scheme', 'amqp://guest:hunter2@rabbit:5672//'],
    ['a path that is not a number', 'redis://:hunter2@redis:6379/celery'],
  ])('rejects %s without echoing the password', (_label, url) => {
    let caught: unknown;
    try {
      parseBrokerUrl(url);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: ErrorCode.InvalidConfig });
    expect((caught as Error).message).not.toContain('hunter2');
  });
});

describe('redact', () => {
  it('removes the password, raw and URL-encoded, from text', () => {
    const endpoint = parseBrokerUrl('redis://:p%40ss@redis:6379/0');
    expect(redact('auth p@ss failed for redis://:p%40ss@redis', endpoint)).toBe('auth *** failed for redis://:***@redis');
  });

  it('leaves text alone when the URL has no password', () => {
    expect(redact('connect ECONNREFUSED', parseBrokerUrl('redis://redis'))).toBe('connect ECONNREFUSED');
  });
});

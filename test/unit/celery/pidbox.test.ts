import { describe, expect, it } from 'vitest';

import {
  REPLY_BINDING_SET,
  broadcastChannel,
  buildCommand,
  nodeName,
  parseReply,
  replyBinding,
  replyQueue,
  replyQueueKeys,
} from '../../../src/celery/pidbox.js';
import type { CommandSpec } from '../../../src/celery/pidbox.js';

const TICKET = '8753310b-81e7-4593-981c-3c813546256b';
const SPEC: CommandSpec = {
  method: 'cancel_consumer',
  queue: 'default',
  hostnames: ['airflow-worker-7d9c-abcde'],
  ticket: TICKET,
  deliveryTag: '928d5579-cab4-4eba-9705-288422dd11fa',
  clock: 7,
  nowMs: 1_700_000_000_000,
  timeoutMs: 1_500,
};

function envelope(spec: CommandSpec = SPEC): Record<string, unknown> {
  return JSON.parse(buildCommand(spec)) as Record<string, unknown>;
}

function decodedBody(spec: CommandSpec = SPEC): Record<string, unknown> {
  return JSON.parse(Buffer.from(envelope(spec)['body'] as string, 'base64').toString('utf8')) as Record<string, unknown>;
}

/** A reply envelope as kombu's Redis transport LPUSHes it (captured from a Celery 5.2 worker). */
function kombuReply(payload: unknown, headers: Record<string, unknown> = { ticket: TICKET, clock: 3 }): string {
  return JSON.stringify({
    body: Buffer.from(JSON.stringify(payload)).toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers,
    properties: {
      delivery_mode: 1,
      delivery_info: { exchange: 'reply.celery.pidbox', routing_key: TICKET },
      priority: 0,
      body_encoding: 'base64',
      delivery_tag: '86dd65b8-a1b8-48cf-99cd-ed12df60b001',
    },
  });
}

describe('pidbox names on the Redis transport', () => {
  it('broadcasts on the fanout channel kombu prefixes with the database number', () => {
    expect(broadcastChannel(0)).toBe('/0.celery.pidbox');
    expect(broadcastChannel(11)).toBe('/11.celery.pidbox');
  });

  it('addresses workers by their Celery node name', () => {
    expect(nodeName('airflow-worker-0')).toBe('celery@airflow-worker-0');
  });

  it('binds the per-call reply queue to the reply exchange with the ticket as routing key', () => {
    expect(REPLY_BINDING_SET).toBe('_kombu.binding.reply.celery.pidbox');
    expect(replyQueue(TICKET)).toBe(`${TICKET}.reply.celery.pidbox`);
    expect(replyBinding(TICKET)).toBe(`${TICKET}\x06\x16\x06\x16${TICKET}.reply.celery.pidbox`);
  });

  it('lists the reply queue with the priority sub-queues kombu creates', () => {
    const queue = `${TICKET}.reply.celery.pidbox`;
    expect(replyQueueKeys(TICKET)).toEqual([queue, `${queue}\x06\x163`, `${queue}\x06\x166`, `${queue}\x06\x169`]);
  });
});

describe('buildCommand', () => {
  it('wraps the command in the envelope kombu publishes to celery.pidbox', () => {
    const message = envelope();
    expect(message).toMatchObject({
      'content-encoding': 'utf-8',
      'content-type': 'application/json',
      headers: { clock: 7, expires: 1_700_000_001.5 },
      properties: {
        delivery_mode: 2,
        delivery_info: { exchange: 'celery.pidbox', routing_key: '' },
        priority: 0,
        body_encoding: 'base64',
        delivery_tag: '928d5579-cab4-4eba-9705-288422dd11fa',
      },
    });
    expect(Object.keys(message).sort()).toEqual(['body', 'content-encoding', 'content-type', 'headers', 'properties']);
  });

  it('encodes the method, queue, destination and reply address in a base64 JSON body', () => {
    expect(decodedBody()).toEqual({
      method: 'cancel_consumer',
      arguments: { queue: 'default' },
      destination: ['celery@airflow-worker-7d9c-abcde'],
      pattern: null,
      matcher: null,
      ticket: TICKET,
      reply_to: { exchange: 'reply.celery.pidbox', routing_key: TICKET },
    });
  });

  it('addresses every hostname as celery@<hostname>', () => {
    const body = decodedBody({ ...SPEC, method: 'add_consumer', hostnames: ['worker-a', 'worker-b'] });
    expect(body['method']).toBe('add_consumer');
    expect(body['destination']).toEqual(['celery@worker-a', 'celery@worker-b']);
  });

  it('refuses an empty destination, which workers would read as a broadcast to all', () => {
    expect(() => buildCommand({ ...SPEC, hostnames: [] })).toThrow(/destination/);
  });
});

describe('parseReply', () => {
  it('reads a Celery worker ok reply captured from the Redis transport', () => {
    const captured =
      '{"body": "eyJjZWxlcnlAcHJvYmUtYSI6IHsib2siOiAibm8gbG9uZ2VyIGNvbnN1bWluZyBmcm9tIHFhIn19", ' +
      '"content-encoding": "utf-8", "content-type": "application/json", ' +
      `"headers": {"ticket": "${TICKET}", "clock": 3}, "properties": {"delivery_mode": 1, ` +
      `"delivery_info": {"exchange": "reply.celery.pidbox", "routing_key": "${TICKET}"}, "priority": 0, ` +
      '"body_encoding": "base64", "delivery_tag": "86dd65b8-a1b8-48cf-99cd-ed12df60b001"}}';
    expect(parseReply(captured, TICKET)).toEqual({
      kind: 'replies',
      replies: [{ hostname: 'probe-a', ok: true, detail: 'no longer consuming from qa' }],
    });
  });

  it('reports an error reply as not ok with the worker text', () => {
    const raw = kombuReply({ 'celery@worker-a': { error: "KeyError('queue')" } });
    expect(parseReply(raw, TICKET)).toEqual({
      kind: 'replies',
      replies: [{ hostname: 'worker-a', ok: false, detail: "KeyError('queue')" }],
    });
  });

  it('renders a non-string ok value as JSON', () => {
    const raw = kombuReply({ 'celery@worker-a': { ok: { queues: 1 } } });
    expect(parseReply(raw, TICKET)).toMatchObject({ replies: [{ hostname: 'worker-a', ok: true, detail: '{"queues":1}' }] });
  });

  it('accepts a reply without a ticket header, as kombu does', () => {
    const raw = kombuReply({ 'celery@worker-a': { ok: 'add consumer default' } }, { clock: 1 });
    expect(parseReply(raw, TICKET)).toMatchObject({ kind: 'replies' });
  });

  it('sets aside a reply that belongs to another call', () => {
    const raw = kombuReply({ 'celery@worker-a': { ok: 'x' } }, { ticket: 'someone-else' });
    expect(parseReply(raw, TICKET)).toEqual({ kind: 'other-ticket', ticket: 'someone-else' });
  });

  it('reads a body that is not base64-encoded', () => {
    const raw = JSON.stringify({ body: '{"celery@worker-a": {"ok": "fine"}}', headers: { ticket: TICKET }, properties: {} });
    expect(parseReply(raw, TICKET)).toMatchObject({ replies: [{ hostname: 'worker-a', ok: true, detail: 'fine' }] });
  });

  it.each([
    ['text that is not JSON', 'not json'],
    ['a JSON array', '[]'],
    ['an envelope without a body', JSON.stringify({ headers: { ticket: TICKET } })],
    ['a body that is not base64 JSON', JSON.stringify({ body: 'bm90IGpzb24=', properties: { body_encoding: 'base64' } })],
    ['an unknown body encoding', JSON.stringify({ body: 'x', properties: { body_encoding: 'rot13' } })],
    ['a non-JSON content type', JSON.stringify({ body: '{}', 'content-type': 'application/x-python-serialize' })],
    ['a body that is an array', kombuReply(['celery@worker-a'])],
    ['a body naming no node', kombuReply({})],
    ['a node name without celery@', kombuReply({ 'worker-a': { ok: 'x' } })],
    ['an answer that is not an object', kombuReply({ 'celery@worker-a': 'ok' })],
    ['an answer with neither ok nor error', kombuReply({ 'celery@worker-a': { maybe: 1 } })],
  ])('rejects %s as malformed', (_label, raw) => {
    expect(parseReply(raw, TICKET)).toMatchObject({ kind: 'malformed', problem: expect.any(String) });
  });
});

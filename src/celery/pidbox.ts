import type { ControlReply } from '../core/ports.js';

/*
 * kombu's pidbox ("Mailbox") as Celery 5 / kombu 5 speak it over the Redis transport
 * (kombu/pidbox.py, kombu/transport/redis.py, kombu/transport/virtual/base.py). Pure: the
 * adapter supplies the ticket, delivery tag, clock value and time.
 */

/** Celery's `control_exchange` default; Airflow does not change it. */
const NAMESPACE = 'celery';
export const PIDBOX_EXCHANGE = `${NAMESPACE}.pidbox`;
export const REPLY_EXCHANGE = `reply.${NAMESPACE}.pidbox`;
const NODE_PREFIX = 'celery@';
/** kombu's Redis `sep`: joins binding fields and suffixes priority sub-queues. */
const SEP = '\x06\x16';
/** kombu's Redis `priority_steps`; 0 is the bare list name. */
const PRIORITY_STEPS = [0, 3, 6, 9] as const;

export type ControlMethod = 'cancel_consumer' | 'add_consumer';

export function nodeName(hostname: string): string {
  return `${NODE_PREFIX}${hostname}`;
}

/**
 * The fanout exchange is PUBLISH on `/{db}.celery.pidbox`: kombu's `fanout_prefix` (`/{db}.`) and
 * `fanout_patterns` are on by default, and with the empty routing key the pidbox uses no `/key`
 * suffix is added. Workers PSUBSCRIBE to exactly this name.
 */
export function broadcastChannel(db: number): string {
  return `/${db}.${PIDBOX_EXCHANGE}`;
}

/** Where a direct exchange's bindings live; the worker SMEMBERS it to route its reply. */
export const REPLY_BINDING_SET = `_kombu.binding.${REPLY_EXCHANGE}`;

/** The reply queue kombu would name for routing key `ticket`: `<key>.reply.celery.pidbox`. */
export function replyQueue(ticket: string): string {
  return `${ticket}.${REPLY_EXCHANGE}`;
}

/** Binding member `routing_key SEP pattern SEP queue`; direct exchanges store no pattern. */
export function replyBinding(ticket: string): string {
  return [ticket, '', replyQueue(ticket)].join(SEP);
}

/** The reply list plus the priority sub-lists kombu deletes with a queue. */
export function replyQueueKeys(ticket: string): string[] {
  const queue = replyQueue(ticket);
  return PRIORITY_STEPS.map((step) => (step === 0 ? queue : `${queue}${SEP}${step}`));
}

export interface CommandSpec {
  readonly method: ControlMethod;
  readonly queue: string;
  readonly hostnames: readonly string[];
  /** A fresh UUID per call: both the reply ticket and the reply routing key. */
  readonly ticket: string;
  readonly deliveryTag: string;
  /** Lamport clock value; workers only move their clock forward with it. */
  readonly clock: number;
  readonly nowMs: number;
  /** How long the command stays meaningful; becomes the `expires` header (epoch seconds). */
  readonly timeoutMs: number;
}

/** The JSON string to PUBLISH on `broadcastChannel(db)`, byte for byte what kombu would send. */
export function buildCommand(spec: CommandSpec): string {
  if (spec.hostnames.length === 0) {
    // kombu treats an empty destination as "every worker"; never let that through by accident.
    throw new Error('a pidbox command needs at least one destination');
  }
  const body = {
    method: spec.method,
    arguments: { queue: spec.queue },
    destination: spec.hostnames.map(nodeName),
    pattern: null,
    matcher: null,
    ticket: spec.ticket,
    reply_to: { exchange: REPLY_EXCHANGE, routing_key: spec.ticket },
  };
  return JSON.stringify({
    body: Buffer.from(JSON.stringify(body), 'utf8').toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: { clock: spec.clock, expires: (spec.nowMs + spec.timeoutMs) / 1000 },
    properties: {
      delivery_mode: 2,
      delivery_info: { exchange: PIDBOX_EXCHANGE, routing_key: '' },
      priority: 0,
      body_encoding: 'base64',
      delivery_tag: spec.deliveryTag,
    },
  });
}

export type ParsedReply =
  | { readonly kind: 'replies'; readonly replies: ControlReply[] }
  | { readonly kind: 'other-ticket'; readonly ticket: string }
  | { readonly kind: 'malformed'; readonly problem: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  // Values come from JSON.parse, so stringify always has something to print.
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function toReply(node: string, answer: unknown): ControlReply | string {
  if (!node.startsWith(NODE_PREFIX) || node.length === NODE_PREFIX.length) return `unexpected node name ${JSON.stringify(node)}`;
  const hostname = node.slice(NODE_PREFIX.length);
  if (!isRecord(answer)) return `answer from ${node} is not an object`;
  if ('ok' in answer) return { hostname, ok: true, detail: describe(answer['ok']) };
  // kombu's Node.dispatch replies {'error': repr(exc)} when the handler raised.
  if ('error' in answer) return { hostname, ok: false, detail: describe(answer['error']) };
  return `answer from ${node} has neither "ok" nor "error"`;
}

function decodeBody(envelope: Record<string, unknown>): unknown {
  const { body } = envelope;
  if (typeof body !== 'string') throw new Error('body is not a string');
  const properties = isRecord(envelope['properties']) ? envelope['properties'] : {};
  const encoding = properties['body_encoding'];
  if (encoding !== undefined && encoding !== null && encoding !== 'base64') {
    throw new Error(`unsupported body_encoding ${JSON.stringify(encoding)}`);
  }
  const contentType = envelope['content-type'];
  if (contentType !== undefined && contentType !== 'application/json') {
    throw new Error(`unsupported content-type ${JSON.stringify(contentType)}`);
  }
  const text = encoding === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body;
  return JSON.parse(text) as unknown;
}

/** Parses one item popped from the reply list: `{"celery@host": {"ok": ...}}` inside kombu's envelope. */
export function parseReply(raw: string, ticket: string): ParsedReply {
  let envelope: unknown;
  let payload: unknown;
  try {
    envelope = JSON.parse(raw) as unknown;
    if (!isRecord(envelope)) return { kind: 'malformed', problem: 'reply is not a JSON object' };
    const headers = isRecord(envelope['headers']) ? envelope['headers'] : {};
    const replyTicket = headers['ticket'];
    if (typeof replyTicket === 'string' && replyTicket !== ticket) return { kind: 'other-ticket', ticket: replyTicket };
    payload = decodeBody(envelope);
  } catch (err) {
    return { kind: 'malformed', problem: `undecodable reply: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!isRecord(payload)) return { kind: 'malformed', problem: 'reply body is not a JSON object' };
  const replies: ControlReply[] = [];
  for (const [node, answer] of Object.entries(payload)) {
    const reply = toReply(node, answer);
    if (typeof reply === 'string') return { kind: 'malformed', problem: reply };
    replies.push(reply);
  }
  if (replies.length === 0) return { kind: 'malformed', problem: 'reply body names no node' };
  return { kind: 'replies', replies };
}

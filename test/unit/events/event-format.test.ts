import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../../server/core/errors.js';
import {
  MAX_PDU_BYTES,
  parsePdu,
  referencedEventIds,
  validatePduShape,
} from '../../../server/events/event-format.js';
import { roomVersion } from '../../../server/events/room-versions.js';

/**
 * The shape of PDUs per room version (spec rooms/vN "Event format", pdu_v1/v3/v4/v6/v11/v12
 * definitions; client-server "Size limits"; rooms/v6 "Canonical JSON").
 */

function v(id: string) {
  const version = roomVersion(id);
  if (!version) throw new Error(`no room version ${id}`);
  return version;
}

const ALL = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];
const HASH_IDS = ALL.slice(2);

/** A valid message PDU in room version `id`. */
function pdu(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const old = id === '1' || id === '2';
  const ref = (e: string) => (old ? [`${e}:example.org`, { sha256: 'aGFzaA' }] : e);
  return {
    ...(old ? { event_id: '$m:example.org' } : {}),
    type: 'm.room.message',
    room_id: id === '12' ? '!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ' : '!r:example.org',
    sender: '@alice:example.org',
    content: { msgtype: 'm.text', body: 'hi' },
    depth: 5,
    origin_server_ts: 1_700_000_000_000,
    prev_events: [ref('$prev')],
    auth_events: [ref('$create'), ref('$member')],
    hashes: { sha256: 'aGFzaA' },
    signatures: { 'example.org': { 'ed25519:1': 'c2ln' } },
    unsigned: { age: 3 },
    ...overrides,
  };
}

function without(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _drop, ...rest } = obj;
  return rest;
}

const problemsOf = (id: string, overrides: Record<string, unknown> = {}) =>
  validatePduShape(pdu(id, overrides), v(id));

describe('validatePduShape: valid events', () => {
  it.each(ALL)('v%s: a well-formed message has no problems', (id) => {
    expect(problemsOf(id)).toEqual([]);
  });

  it.each(ALL)('v%s: a state event and a redaction are fine', (id) => {
    expect(problemsOf(id, { type: 'm.room.name', state_key: '', content: { name: 'n' } })).toEqual(
      [],
    );
    expect(problemsOf(id, { type: 'm.room.redaction', redacts: '$x' })).toEqual([]);
  });

  it('accepts a v12 m.room.create without room_id', () => {
    const create = without(
      pdu('12', { type: 'm.room.create', state_key: '', prev_events: [], auth_events: [] }),
      'room_id',
    );
    expect(validatePduShape(create, v('12'))).toEqual([]);
  });
});

describe('validatePduShape: required keys', () => {
  const required = [
    'type',
    'sender',
    'room_id',
    'content',
    'depth',
    'origin_server_ts',
    'hashes',
    'signatures',
    'prev_events',
    'auth_events',
  ];
  it.each(ALL.flatMap((id) => required.map((key) => [id, key])))('v%s: without %s', (id, key) => {
    const problems = validatePduShape(without(pdu(id), key), v(id));
    expect(problems.some((p) => p.startsWith(`${key}:`))).toBe(true);
  });

  it.each(['1', '2'])('v%s: event_id is required', (id) => {
    expect(validatePduShape(without(pdu(id), 'event_id'), v(id))).toEqual(['event_id: required']);
    expect(problemsOf(id, { event_id: 'abc' })).toEqual(['event_id: must start with $']);
  });

  it.each(HASH_IDS)('v%s: event_id is not needed', (id) => {
    expect(validatePduShape(without(pdu(id), 'event_id'), v(id))).toEqual([]);
  });

  it('room_id may be absent only on the create event of v12', () => {
    const create = { type: 'm.room.create', state_key: '', prev_events: [], auth_events: [] };
    expect(validatePduShape(without(pdu('11', create), 'room_id'), v('11'))).toEqual([
      'room_id: required',
    ]);
    expect(validatePduShape(without(pdu('12'), 'room_id'), v('12'))).toEqual(['room_id: required']);
    expect(problemsOf('12', { ...create, room_id: '!abc' })).toEqual([
      'room_id: must be absent on m.room.create',
    ]);
  });
});

describe('validatePduShape: types', () => {
  const wrong: [string, unknown, string][] = [
    ['type', 5, 'type: must be a string'],
    ['sender', ['@a:x'], 'sender: must be a string'],
    ['sender', 'alice', 'sender: must be a user id'],
    ['room_id', 7, 'room_id: must be a string'],
    ['room_id', 'r:example.org', 'room_id: must start with !'],
    ['state_key', null, 'state_key: must be a string'],
    ['content', 'text', 'content: must be an object'],
    ['content', [], 'content: must be an object'],
    ['content', null, 'content: must be an object'],
    ['depth', '5', 'depth: must be a non-negative integer below 2^53'],
    ['depth', -1, 'depth: must be a non-negative integer below 2^53'],
    ['depth', 2 ** 53, 'depth: must be a non-negative integer below 2^53'],
    ['origin_server_ts', 1.5, 'origin_server_ts: must be a non-negative integer below 2^53'],
    ['hashes', {}, 'hashes: must be an object with a sha256 string'],
    ['hashes', { sha256: 1 }, 'hashes: must be an object with a sha256 string'],
    ['signatures', [], 'signatures: must map server names to objects of key id -> signature'],
    [
      'signatures',
      { x: 'y' },
      'signatures: must map server names to objects of key id -> signature',
    ],
    [
      'signatures',
      { x: { k: 1 } },
      'signatures: must map server names to objects of key id -> signature',
    ],
    ['unsigned', 'x', 'unsigned: must be an object'],
    ['prev_events', {}, 'prev_events: must be an array'],
    ['auth_events', 'x', 'auth_events: must be an array'],
  ];
  it.each(
    wrong.flatMap(([key, value, problem]) =>
      ['1', '4', '11'].map((id) => [id, key, value, problem]),
    ),
  )('v%s: %s = %j', (id, key, value, problem) => {
    expect(
      validatePduShape(pdu(id as string, { [key as string]: value }), v(id as string)),
    ).toContain(problem);
  });

  it('refuses what is not an object at all', () => {
    for (const value of [null, 'x', [], 5]) {
      expect(validatePduShape(value, v('10'))).toEqual(['event: must be a JSON object']);
    }
  });

  it('checks top-level redacts before v11 only', () => {
    expect(problemsOf('10', { redacts: 5 })).toEqual(['redacts: must be a string']);
    expect(problemsOf('11', { redacts: 5 })).toEqual([]);
  });
});

describe('validatePduShape: prev_events and auth_events', () => {
  it.each(['1', '2'])('v%s: refs are [event_id, hashes] pairs', (id) => {
    expect(problemsOf(id, { prev_events: ['$a:x'] })).toEqual([
      'prev_events[0]: must be an [event_id, hashes] pair',
    ]);
    expect(problemsOf(id, { auth_events: [['$a:x']] })).toEqual([
      'auth_events[0]: must be an [event_id, hashes] pair',
    ]);
    expect(problemsOf(id, { auth_events: [['a:x', {}]] })).toEqual([
      'auth_events[0]: must be an [event_id, hashes] pair',
    ]);
    expect(problemsOf(id, { prev_events: [['$a:x', {}, 3]] })).toEqual([
      'prev_events[0]: must be an [event_id, hashes] pair',
    ]);
  });

  it.each(HASH_IDS)('v%s: refs are event id strings', (id) => {
    expect(problemsOf(id, { prev_events: [['$a', {}]] })).toEqual([
      'prev_events[0]: must be an event id',
    ]);
    expect(problemsOf(id, { auth_events: ['$a', 'b', 3] })).toEqual([
      'auth_events[1]: must be an event id',
      'auth_events[2]: must be an event id',
    ]);
    expect(problemsOf(id, { prev_events: [`$${'a'.repeat(255)}`] })).toEqual([
      'prev_events[0]: must be an event id',
    ]);
  });

  it('allows at most 20 prev_events and 10 auth_events', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `$e${i}`);
    expect(problemsOf('10', { prev_events: ids(20), auth_events: ids(10) })).toEqual([]);
    expect(problemsOf('10', { prev_events: ids(21) })).toEqual([
      'prev_events: must hold at most 20 events',
    ]);
    expect(problemsOf('10', { auth_events: ids(11) })).toEqual([
      'auth_events: must hold at most 10 events',
    ]);
  });

  it('referencedEventIds reads both formats', () => {
    expect(referencedEventIds(['$a', '$b'])).toEqual(['$a', '$b']);
    expect(referencedEventIds([['$a:x', { sha256: 'h' }]])).toEqual(['$a:x']);
  });
});

describe('validatePduShape: size limits', () => {
  const long = (prefix: string, bytes: number, suffix = '') =>
    prefix + 'a'.repeat(bytes - prefix.length - suffix.length) + suffix;

  it.each([
    ['type', long('m.', 255), long('m.', 256)],
    ['state_key', long('', 255), long('', 256)],
    ['sender', long('@', 255, ':x.org'), long('@', 256, ':x.org')],
    ['room_id', long('!', 255, ':x.org'), long('!', 256, ':x.org')],
  ])('%s: 255 bytes pass, 256 do not', (key, ok, tooLong) => {
    expect(problemsOf('10', { [key]: ok })).toEqual([]);
    expect(problemsOf('10', { [key]: tooLong })).toEqual([`${key}: must not exceed 255 bytes`]);
  });

  it('counts bytes, not characters', () => {
    expect(problemsOf('10', { state_key: 'é'.repeat(128) })).toEqual([
      'state_key: must not exceed 255 bytes',
    ]);
  });

  it('limits the whole event to 65536 bytes of canonical JSON', () => {
    const size = (body: string) =>
      Buffer.byteLength(JSON.stringify(pdu('10', { content: { body } })));
    const fill = MAX_PDU_BYTES - size('');
    // JSON.stringify of this object has the same bytes as its canonical JSON (no spaces).
    expect(problemsOf('10', { content: { body: 'a'.repeat(fill) } })).toEqual([]);
    expect(problemsOf('10', { content: { body: 'a'.repeat(fill + 1) } })).toEqual([
      `event: exceeds ${MAX_PDU_BYTES} bytes`,
    ]);
  });
});

describe('validatePduShape: canonical JSON (strict from v6)', () => {
  it.each(ALL)('v%s: floats and unsafe integers in content', (id) => {
    const strict = Number(id) >= 6;
    for (const n of [1.5, 2 ** 53]) {
      const problems = problemsOf(id, { content: { n } });
      expect(problems).toHaveLength(strict ? 1 : 0);
      if (strict) expect(problems[0]).toMatch(/^not canonical JSON: /);
    }
  });
});

describe('parsePdu', () => {
  it('returns a valid event', () => {
    const event = pdu('11');
    expect(parsePdu(event, v('11'))).toBe(event);
  });

  it('throws M_BAD_JSON naming the problems', () => {
    let error: unknown;
    try {
      parsePdu(without(pdu('11'), 'sender'), v('11'));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MatrixError);
    expect((error as MatrixError).errcode).toBe('M_BAD_JSON');
    expect((error as MatrixError).status).toBe(400);
    expect((error as MatrixError).message).toContain('sender: required');
  });
});

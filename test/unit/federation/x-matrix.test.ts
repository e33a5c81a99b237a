import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../../server/core/errors.js';
import { signingKeyFromSeed, verifyJsonSignature } from '../../../server/core/signing.js';
import {
  createRequestSigner,
  formatXMatrixHeader,
  parseXMatrixHeader,
  requestSigningJson,
} from '../../../server/federation/x-matrix.js';

/**
 * The X-Matrix Authorization scheme (server-server "Request Authentication"): the header
 * grammar of RFC 9110 section 11.4 as the spec narrows it, and the signature the signer
 * makes.
 */

const SIG = 'ABCDEF0123+/xyz';

describe('parseXMatrixHeader accepts what the spec allows', () => {
  const cases: [string, string, Partial<ReturnType<typeof parseXMatrixHeader>>][] = [
    [
      'the spec example',
      `X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:key1",sig="${SIG}"`,
      {
        origin: 'origin.hs.example.com',
        destination: 'destination.hs.example.com',
        key: 'ed25519:key1',
        sig: SIG,
      },
    ],
    [
      'unquoted tokens, colons unquoted (older senders)',
      `X-Matrix origin=hs.example:8448,key=ed25519:k,sig=${SIG}`,
      { origin: 'hs.example:8448', destination: undefined, key: 'ed25519:k', sig: SIG },
    ],
    [
      'spaces and tabs around commas, several spaces after the scheme',
      `X-Matrix   origin="a.example" ,\tkey="ed25519:k"\t, sig="${SIG}" , destination="b.example"`,
      { origin: 'a.example', destination: 'b.example', key: 'ed25519:k', sig: SIG },
    ],
    [
      'names in any case and order, scheme in any case',
      `x-matrix SIG="${SIG}",Key="ed25519:k",ORIGIN="a.example"`,
      { origin: 'a.example', key: 'ed25519:k', sig: SIG },
    ],
    [
      'backslash escapes in quoted values',
      `X-Matrix origin="a\\.example",key="ed25519:\\k",sig="${SIG}"`,
      { origin: 'a.example', key: 'ed25519:k' },
    ],
    [
      'unknown parameters ignored',
      `X-Matrix origin="a.example",future="x, y",key="ed25519:k",sig="${SIG}"`,
      { origin: 'a.example', key: 'ed25519:k', sig: SIG },
    ],
    [
      'an IPv6 literal with a port as origin',
      `X-Matrix origin="[::1]:8448",key="ed25519:k",sig="${SIG}"`,
      { origin: '[::1]:8448' },
    ],
  ];
  for (const [name, header, expected] of cases) {
    it(name, () => expect(parseXMatrixHeader(header)).toMatchObject(expected));
  }
});

describe('parseXMatrixHeader refuses malformed headers with 401 M_UNAUTHORIZED', () => {
  const cases: [string, string, RegExp][] = [
    ['another scheme', 'Bearer abc', /not of the X-Matrix scheme/],
    ['no space after the scheme', `X-Matrixorigin="a",key="k",sig="s"`, /not of the X-Matrix/],
    ['no origin', `X-Matrix key="ed25519:k",sig="${SIG}"`, /no origin/],
    ['no key', `X-Matrix origin="a.example",sig="${SIG}"`, /no key/],
    ['no sig', `X-Matrix origin="a.example",key="ed25519:k"`, /no sig/],
    [
      'unterminated quote',
      `X-Matrix origin="a.example,key="k",sig="s`,
      /closing quote|expected ","/,
    ],
    ['a parameter twice', `X-Matrix origin="a",origin="b",key="k",sig="s"`, /given twice/],
    ['a name without a value', `X-Matrix origin,key="k",sig="s"`, /has no value/],
    ['an empty unquoted value', `X-Matrix origin=,key="k",sig="s"`, /empty value/],
    ['garbage between params', `X-Matrix origin="a" key="k",sig="s"`, /expected ","/],
    [
      'an origin that is no server name',
      `X-Matrix origin="a b",key="k",sig="s"`,
      /not a server name/,
    ],
  ];
  for (const [name, header, message] of cases) {
    it(name, () => {
      let err: unknown;
      try {
        parseXMatrixHeader(header);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MatrixError);
      const m = err as MatrixError;
      expect(m.status).toBe(401);
      expect(m.errcode).toBe('M_UNAUTHORIZED');
      expect(m.message).toMatch(message);
    });
  }
});

describe('the request signer', () => {
  const key = signingKeyFromSeed('k1', Buffer.alloc(32, 3));
  const signer = createRequestSigner({ serverName: 'origin.example', signingKeys: [key] });

  it('signs method, uri, origin, destination and content with the first key', () => {
    const body = { pdus: [], edus: [{ edu_type: 'm.typing' }] };
    const header = signer('dest.example:8448', 'PUT', '/_matrix/federation/v1/send/1?x=1', body);
    const p = parseXMatrixHeader(header);
    expect(p).toMatchObject({
      origin: 'origin.example',
      destination: 'dest.example:8448',
      key: 'ed25519:k1',
    });
    const json = requestSigningJson(
      'PUT',
      '/_matrix/federation/v1/send/1?x=1',
      'origin.example',
      'dest.example:8448',
      body,
    );
    expect(verifyJsonSignature(json, p.sig, key.publicKeyBase64)).toBe(true);
    // Another target, method or body does not carry the signature.
    expect(
      verifyJsonSignature(
        { ...json, uri: '/_matrix/federation/v1/send/2' },
        p.sig,
        key.publicKeyBase64,
      ),
    ).toBe(false);
    expect(verifyJsonSignature({ ...json, content: {} }, p.sig, key.publicKeyBase64)).toBe(false);
  });

  it('leaves content out when there is no body', () => {
    const p = parseXMatrixHeader(
      signer('dest.example', 'GET', '/_matrix/federation/v1/version', undefined),
    );
    const json = requestSigningJson(
      'GET',
      '/_matrix/federation/v1/version',
      'origin.example',
      'dest.example',
      undefined,
    );
    expect(json).not.toHaveProperty('content');
    expect(verifyJsonSignature(json, p.sig, key.publicKeyBase64)).toBe(true);
  });

  it('writes the header as the spec asks senders to: one space, lower-case names, no spaces', () => {
    expect(
      formatXMatrixHeader({
        origin: 'a.example',
        destination: 'b.example',
        key: 'ed25519:k',
        sig: 'S',
      }),
    ).toBe('X-Matrix origin="a.example",destination="b.example",key="ed25519:k",sig="S"');
  });

  it('refuses to build without a signing key', () => {
    expect(() => createRequestSigner({ serverName: 'a.example', signingKeys: [] })).toThrow(
      /no signing key/,
    );
  });
});

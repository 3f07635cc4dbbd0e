import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isIP,
  isIPv4,
  isIPv6,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  nameIsDNSSubdomain,
  validatePathSegmentName,
} from './names.js';
import { goRepr } from './field-errors.js';

test('IP address syntax', () => {
  for (const ok of ['10.96.0.1', '0.0.0.0', '255.255.255.255', '198.18.0.5']) assert.ok(isIPv4(ok), ok);
  for (const bad of ['256.0.0.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', '', 'a.b.c.d', '1.2.3.4 ']) assert.ok(!isIPv4(bad), bad);
  for (const ok of ['::1', '::', 'fd00::1', '2001:db8::ffff', '2001:0db8:0000:0000:0000:0000:0000:0001', '::ffff:10.1.2.3', 'fe80::1:2:3:4:5:6']) assert.ok(isIPv6(ok), ok);
  for (const bad of ['1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', 'g::1', '10.0.0.1']) assert.ok(!isIPv6(bad), bad);
  assert.ok(isIP('::1') && isIP('1.2.3.4') && !isIP('x'));
});

test('DNS names, qualified names, label values', () => {
  assert.deepEqual(isDNS1123Label('my-name'), []);
  assert.equal(isDNS1123Label('a'.repeat(64))[0], 'must be no more than 63 characters');
  assert.equal(isDNS1123Label('-a').length, 1);
  assert.deepEqual(isDNS1123Subdomain('a.b-c.d'), []);
  assert.equal(isDNS1123Subdomain('A.b').length, 1);
  assert.equal(isDNS1123Subdomain(`${'a'.repeat(250)}.com`)[0], 'must be no more than 253 characters');
  assert.deepEqual(isDNS1035Label('svc-1'), []);
  assert.equal(isDNS1035Label('1svc').length, 1);
  assert.deepEqual(nameIsDNSSubdomain('web-', true), [], 'generateName prefix may end with a dash');
  assert.equal(nameIsDNSSubdomain('web-', false).length, 1);
  assert.deepEqual(isQualifiedName('example.com/My_Name-1.x'), []);
  assert.deepEqual(isValidLabelValue(''), []);
  assert.equal(isValidLabelValue('a b').length, 1);
  assert.deepEqual(validatePathSegmentName('..', false), ["may not be '..'"]);
  assert.deepEqual(validatePathSegmentName('a/b%', false), ["may not contain '/'", "may not contain '%'"]);
});

test('ports, env names, config keys', () => {
  assert.deepEqual(isValidPortNum(1), []);
  assert.deepEqual(isValidPortNum(65535), []);
  assert.deepEqual(isValidPortNum(0), ['must be between 1 and 65535, inclusive']);
  assert.deepEqual(isValidPortNum(1.5), ['must be between 1 and 65535, inclusive']);
  assert.deepEqual(isValidPortName('http'), []);
  assert.deepEqual(isValidPortName('http-alt2'), []);
  assert.deepEqual(isValidPortName('8080'), ['must contain at least one letter (a-z)']);
  assert.deepEqual(isValidPortName('a-very-long-port-name'), ['must be no more than 15 characters']);
  assert.deepEqual(isValidPortName('-a'), ['must not begin or end with a hyphen']);
  assert.deepEqual(isValidPortName('HTTP'), ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']);
  assert.deepEqual(isEnvVarName('MY_VAR.x-1'), []);
  assert.equal(isEnvVarName('1X').length, 1);
  assert.deepEqual(isConfigMapKey('app.properties'), []);
  assert.deepEqual(isConfigMapKey('..data').slice(-1), ["must not start with '..'"]);
});

test('goRepr prints bad values as Go does', () => {
  assert.equal(goRepr('x'), '"x"');
  assert.equal(goRepr(0), '0');
  assert.equal(goRepr(true), 'true');
  assert.equal(goRepr(undefined), 'null');
  assert.equal(goRepr(['a', 'b']), '[]string{"a", "b"}');
  assert.equal(goRepr({ b: '2', a: '1' }), 'map[string]string{"a":"1", "b":"2"}');
});

test('goQuote matches Go %q', async () => {
  const { goQuote } = await import('./field-errors.js');
  assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(goQuote('tab\there\n'), '"tab\\there\\n"');
  assert.equal(goQuote('\u0001\u007f'), '"\\x01\\x7f"');
  assert.equal(goQuote('héllo ✓'), '"héllo ✓"');
});

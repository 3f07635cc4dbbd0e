import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuantity, toMillis, toBytes, toValue, compareQuantity, formatQuantity, isValidQuantity, QUANTITY_FORMAT_ERROR } from './quantity.js';

test('CPU to millis, exactly and rounded up', () => {
  assert.equal(toMillis('100m'), 100);
  assert.equal(toMillis('0.1'), 100);
  assert.equal(toMillis('0.5'), 500);
  assert.equal(toMillis('2'), 2000);
  assert.equal(toMillis(1.5), 1500);
  assert.equal(toMillis('1.0005'), 1001, 'rounds up');
  assert.equal(toMillis('250000u'), 250);
  assert.equal(toMillis('1e3'), 1_000_000);
  assert.equal(toMillis('0'), 0);
  assert.equal(toMillis('-100m'), -100);
});

test('memory to bytes', () => {
  assert.equal(toBytes('64Mi'), 64 * 1024 * 1024);
  assert.equal(toBytes('1G'), 1e9);
  assert.equal(toBytes('1Gi'), 2 ** 30);
  assert.equal(toBytes('1.5Gi'), 1.5 * 2 ** 30);
  assert.equal(toBytes('128974848'), 128974848);
  assert.equal(toBytes('129e6'), 129e6);
  assert.equal(toBytes('123Mi'), 123 * 2 ** 20);
  assert.equal(toBytes('1k'), 1000);
  assert.equal(toBytes('1Ki'), 1024);
  assert.equal(toValue('100m'), 1, 'rounds up to a whole unit');
  assert.equal(toBytes(' 1Gi'.trim()), 2 ** 30);
});

test('invalid quantities throw the Kubernetes message', () => {
  for (const bad of ['', 'abc', '1Gb', '1.2.3', '--1', 'Mi', '1 Gi', '1x']) {
    assert.equal(isValidQuantity(bad), false, bad);
  }
  assert.throws(() => parseQuantity('abc'), { message: QUANTITY_FORMAT_ERROR });
  assert.throws(() => parseQuantity('1Gb'));
  assert.ok(isValidQuantity('.5'));
  assert.ok(isValidQuantity('5.'));
  assert.ok(isValidQuantity('+1'));
  assert.ok(isValidQuantity(3));
});

test('exact comparison across formats', () => {
  assert.equal(compareQuantity('1Gi', '1G'), 1);
  assert.equal(compareQuantity('1000m', '1'), 0);
  assert.equal(compareQuantity('0.1', '100m'), 0);
  assert.equal(compareQuantity('1k', '1Ki'), -1);
  assert.equal(compareQuantity('1e3', '1k'), 0);
  assert.equal(compareQuantity('-1', '0'), -1);
});

test('canonical formatting like Kubernetes', () => {
  assert.equal(formatQuantity('0.5'), '500m');
  assert.equal(formatQuantity('1000'), '1k');
  assert.equal(formatQuantity('1500'), '1500');
  assert.equal(formatQuantity('1.5'), '1500m');
  assert.equal(formatQuantity('100m'), '100m');
  assert.equal(formatQuantity('1024Mi'), '1Gi');
  assert.equal(formatQuantity('1.5Gi'), '1536Mi');
  assert.equal(formatQuantity('64Mi'), '64Mi');
  assert.equal(formatQuantity('2048'), '2048');
  assert.equal(formatQuantity('1e3'), '1e3');
  assert.equal(formatQuantity('0'), '0');
  assert.equal(formatQuantity('0.0000000001'), '1n', 'below nano rounds up');
  assert.equal(formatQuantity('-2k'), '-2k');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRequestInfo } from './request-info.js';

const q = (s = '') => new URLSearchParams(s);

test('resource paths parse like kube-apiserver', () => {
  assert.deepEqual(parseRequestInfo('GET', '/api/v1/namespaces/ns/pods/p/log', q()), {
    kind: 'resource', group: '', version: 'v1', namespace: 'ns', resource: 'pods', name: 'p', subresource: 'log', watchPath: false, verb: 'get',
  });
  const list = parseRequestInfo('GET', '/apis/apps/v1/deployments', q());
  assert.equal(list.kind === 'resource' && list.verb, 'list');
  const watch = parseRequestInfo('GET', '/apis/apps/v1/watch/namespaces/a/deployments/d', q());
  assert.ok(watch.kind === 'resource' && watch.verb === 'watch' && watch.name === 'd' && watch.namespace === 'a');
  assert.equal((parseRequestInfo('GET', '/api/v1/pods', q('watch=true')) as { verb: string }).verb, 'watch');
  const ns = parseRequestInfo('PUT', '/api/v1/namespaces/x/finalize', q());
  assert.ok(ns.kind === 'resource' && ns.resource === 'namespaces' && ns.name === 'x' && ns.subresource === 'finalize' && ns.namespace === undefined);
  const nsObj = parseRequestInfo('DELETE', '/api/v1/namespaces/x', q());
  assert.ok(nsObj.kind === 'resource' && nsObj.resource === 'namespaces' && nsObj.name === 'x' && nsObj.verb === 'delete');
  assert.equal((parseRequestInfo('DELETE', '/api/v1/namespaces/x/pods', q()) as { verb: string }).verb, 'deletecollection');
  assert.equal(parseRequestInfo('GET', '/apis', q()).kind, 'nonresource');
  assert.equal(parseRequestInfo('GET', '/api/v1', q()).kind, 'nonresource');
  assert.equal(parseRequestInfo('GET', '/api/v1/a/b/c/d/e', q()).kind, 'nonresource');
  assert.equal((parseRequestInfo('GET', '/api/v1/namespaces/a%2Fb/pods', q()) as { namespace: string }).namespace, 'a/b');
});

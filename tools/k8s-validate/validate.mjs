// Validates Kubernetes objects offline against their schemas: the core API from kubernetes-models
// (generated from the Kubernetes OpenAPI spec), the KEDA and Prometheus Operator CRDs from their
// @kubernetes-models packages. Input: a YAML stream on stdin (e.g. `kubectl kustomize deploy/k8s`).
// Output: one line per object, "ok KIND NAME" or "invalid KIND NAME: errors"; exit 1 if any object is
// invalid or has no known schema (a kind we cannot check is a failure, not a pass).
// Like the API server's non-strict mode, these schemas do not refuse unknown fields.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

// API group -> package holding its models; the core group ("v1") has no group segment.
const packages = {
  'keda.sh': '@kubernetes-models/keda',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

const text = readFileSync(0, 'utf8');
let failures = 0;
let count = 0;
for (const document of parseAllDocuments(text)) {
  if (document.errors.length > 0) {
    console.log(`invalid YAML: ${document.errors.map(e => e.message).join('; ')}`);
    failures++;
    continue;
  }
  const object = document.toJS();
  if (object == null) continue;
  count++;
  const kind = object.kind ?? '?';
  const name = object.metadata?.name ?? '?';
  const apiVersion = String(object.apiVersion ?? '');
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const modulePath = group === ''
    ? `kubernetes-models/${version}/${kind}`
    : `${packages[group] ?? 'kubernetes-models'}/${group}/${version}/${kind}`;
  let Model;
  try {
    Model = (await import(modulePath))[kind];
  } catch (error) {
    Model = undefined;
  }
  if (typeof Model !== 'function') {
    console.log(`invalid ${kind} ${name}: no schema for ${apiVersion} ${kind}`);
    failures++;
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`ok ${kind} ${name}`);
  } catch (error) {
    console.log(`invalid ${kind} ${name}: ${error.message}`);
    failures++;
  }
}
if (count === 0) {
  console.log('no objects on stdin');
  failures++;
}
process.exit(failures > 0 ? 1 : 0);

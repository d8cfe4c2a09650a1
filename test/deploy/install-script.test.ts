import { readdirSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { REPO_ROOT, at, parseManifests, validateManifest } from './helpers.js';
import type { Manifest } from './helpers.js';
import {
  DB_PASSWORD,
  DB_PASSWORD_ENCODED,
  KNOWN_HOSTS,
  RDS_HOST,
  SCALER_PASSWORD,
  createHarness,
  dryRunLines,
  isMutating,
  outFiles,
  readOut,
} from './support/install-harness.js';
import type { Harness, Run } from './support/install-harness.js';

let h: Harness;
beforeAll(() => {
  h = createHarness();
});
afterAll(() => {
  h.close();
});

function expectNoSecretLeak(run: Run): void {
  const visible = [run.stdout, run.stderr, ...run.calls.flat()].join('\n');
  for (const secret of h.secrets) expect(visible).not.toContain(secret);
}

function applied(run: Run): Manifest[] {
  return outFiles(run)
    .filter((f) => f.startsWith('apply-'))
    .sort()
    .flatMap((f) => parseManifests(readOut(run, f)));
}

/** What install.sh runs once the secrets exist, in order: Airflow, its rollout, the grant Job, the scaler. */
const AFTER_SECRETS = [
  'helm repo add',
  'helm repo update',
  'helm upgrade --install',
  'kubectl rollout status',
  'kubectl rollout status',
  'kubectl delete job',
  'kubectl apply -k',
  'kubectl apply -k',
  'kubectl rollout status',
];
const SECRETS = ['airflow-metadata-connection', 'airflow-result-backend-connection', 'airflow-pgbouncer-ini', 'airflow-pgbouncer-stats-connection',
  'airflow-git-ssh-key', 'airflow-fernet', 'airflow-api-secret', 'airflow-jwt', 'airflow-keda-scaler-metastore', 'airflow-admin-user'];

describe('deploy/install.sh --dry-run (stub kubectl and helm on PATH)', () => {
  let run: Run;
  beforeAll(() => {
    run = h.run(['--dry-run'], h.validEnv());
  });

  it('succeeds and changes nothing: only read-only kubectl and helm queries run', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.calls.filter(isMutating)).toEqual([]);
    expect(run.calls.map((c) => c.slice(0, 3).join(' '))).toEqual([
      'kubectl version --client',
      'helm version --template',
      'kubectl get --raw',
      'kubectl get crd',
      'kubectl get deployment',
      'kubectl get crd',
      'kubectl get storageclass',
      'kubectl get storageclass',
      'kubectl get crd',
      'kubectl get crd',
      'kubectl get secret',
      'kubectl get secret',
      'kubectl get secret',
    ]);
    expect(run.calls[3]).toEqual(['kubectl', 'get', 'crd', 'scaledobjects.keda.sh', 'triggerauthentications.keda.sh', '-o', 'name']);
    expect(run.stdout).toContain('dry run: nothing was changed.');
  });

  it('prints every step and every command that would change something, in install order', () => {
    for (const step of ['Tools', 'Cluster', 'Namespace airflow', 'Secrets', 'Airflow: helm upgrade --install', "Airflow's rollout", 'Scaler role', 'airflow-keda-scaler and its ScaledObjects', 'Done']) {
      expect(run.stdout).toContain(step);
    }
    const order = dryRunLines(run).map((line) => {
      const secret = /^kubectl create (secret generic|configmap) (\S+)/.exec(line);
      if (secret !== null) return `${secret[1]!.split(' ')[0]!} ${secret[2]!}`;
      if (line.startsWith('wait for ')) return line.split(':')[0]!;
      return line.split(' ').slice(0, 3).join(' ');
    });
    expect(order).toEqual([
      'kubectl create namespace',
      ...SECRETS.slice(0, 3).map((s) => `secret ${s}`),
      'configmap airflow-rds-ca-bundle',
      ...SECRETS.slice(3).map((s) => `secret ${s}`),
      ...AFTER_SECRETS.slice(0, 7),
      'wait for job/airflow-keda-scaler-grant',
      ...AFTER_SECRETS.slice(7),
    ]);
  });

  it('creates everything idempotently: create --dry-run=client | apply, helm upgrade --install', () => {
    for (const line of dryRunLines(run).filter((l) => l.startsWith('kubectl create'))) {
      expect(line).toMatch(/ --dry-run=client -o yaml \| kubectl apply -f -$/);
    }
    const helm = dryRunLines(run).find((l) => l.startsWith('helm upgrade'))!;
    expect(helm).toMatch(/^helm upgrade --install airflow apache-airflow\/airflow --version 1\.19\.0 --namespace airflow /);
    expect(helm).toContain(`--values ${REPO_ROOT}/chart-values/values.yaml --values ${REPO_ROOT}/chart-values/worker-concurrency.yaml --set-string `);
    expect(helm).toContain(`--post-renderer ${REPO_ROOT}/deploy/helm-post-renderer/drop-worker-replicas`);
    expect(helm).toContain('--set-string dags.gitSync.repo=git@github.com:example-org/airflow-dags.git');
  });

  it('masks every secret: no value in the output or in any recorded argument, masked previews instead', () => {
    expectNoSecretLeak(run);
    expect(run.stdout).toContain('postgresql://airflow:****@airflow-pgbouncer.airflow:6543/airflow-metadata?sslmode=disable');
    expect(run.stdout).toContain('db+postgresql://airflow:****@airflow-pgbouncer.airflow:6543/airflow-result-backend?sslmode=disable');
    expect(run.stdout).toContain('postgresql://airflow_keda_scaler:****@airflow-pgbouncer.airflow:6543/airflow-metadata?sslmode=disable');
    expect(run.stdout).toContain('"airflow" "****", "airflow_keda_scaler" "****"');
  });

  it('leaves no temporary file behind', () => {
    expect(readdirSync(run.tmp)).toEqual([]);
  });

  it('with Helm 4, uses the post-renderer as a plugin and installs it only when missing', () => {
    const helm4 = h.run(['--dry-run'], { ...h.validEnv(), STUB_HELM_VERSION: 'v4.1.4' });
    expect(helm4.status).toBe(0);
    expect(helm4.calls).toContainEqual(['helm', 'plugin', 'list']);
    expect(dryRunLines(helm4)).toContain(`helm plugin install ${REPO_ROOT}/deploy/helm-post-renderer`);
    expect(dryRunLines(helm4).find((l) => l.startsWith('helm upgrade'))).toContain('--post-renderer drop-worker-replicas ');
    const installed = h.run(['--dry-run'], { ...h.validEnv(), STUB_HELM_VERSION: 'v4.1.4', STUB_HELM_PLUGIN_INSTALLED: '1' });
    expect(dryRunLines(installed).some((l) => l.startsWith('helm plugin install'))).toBe(false);
  });

  it('with --worker-sets, adds the worker-sets values file after worker-concurrency.yaml', () => {
    const sets = h.run(['--dry-run', '--worker-sets'], h.validEnv());
    expect(dryRunLines(sets).find((l) => l.startsWith('helm upgrade'))).toContain(
      `--values ${REPO_ROOT}/chart-values/worker-concurrency.yaml --values ${REPO_ROOT}/chart-values/values-worker-sets.yaml --set-string `,
    );
  });

  it('with UI_TLS_CERTIFICATE_ARN, adds values-ui-tls.yaml and the certificate annotation, and says https', () => {
    const arn = 'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
    const tls = h.run(['--dry-run'], { ...h.validEnv(), UI_TLS_CERTIFICATE_ARN: arn });
    expect(tls.status).toBe(0);
    expect(dryRunLines(tls).find((l) => l.startsWith('helm upgrade'))).toContain(
      `--values ${REPO_ROOT}/chart-values/values-ui-tls.yaml --set-string 'apiServer.service.annotations.service\\.beta\\.kubernetes\\.io/aws-load-balancer-ssl-cert=${arn}'`,
    );
    const real = h.run([], { ...h.validEnv(), UI_TLS_CERTIFICATE_ARN: arn });
    expect(real.stdout).toContain('Airflow UI: https://k8s-airflow-apiserve-0123456789.elb.eu-west-1.amazonaws.com ');
    expect(h.run([], h.validEnv()).stdout).toContain('plain HTTP inside the VPC: set UI_TLS_CERTIFICATE_ARN');
  });

  it('with --mtls and --monitoring, reports cert-manager and the Prometheus Operator as present', () => {
    const both = h.run(['--dry-run', '--mtls', '--monitoring'], h.validEnv());
    expect(both.status).toBe(0);
    expect(both.calls).toContainEqual(['kubectl', 'get', 'crd', 'certificates.cert-manager.io', 'issuers.cert-manager.io', '--ignore-not-found', '-o', 'name']);
    expect(both.calls).toContainEqual(['kubectl', 'get', 'crd', 'servicemonitors.monitoring.coreos.com', 'prometheusrules.monitoring.coreos.com', '--ignore-not-found', '-o', 'name']);
    expect(both.calls.filter(isMutating)).toEqual([]);
  });
});

describe('deploy/install.sh, a real run against the stubs', () => {
  let run: Run;
  let env: Record<string, string>;
  beforeAll(() => {
    env = { ...h.validEnv(), AIRFLOW_NAMESPACE: 'data-platform', AIRFLOW_RELEASE: 'prod', STUB_NO_EFS_SC: '1', STUB_NO_GP3_SC: '1', EFS_FILE_SYSTEM_ID: 'fs-0123abcd' };
    run = h.run(['--worker-sets'], env);
  });

  it('applies namespace, StorageClasses, secrets, chart, grant Job and scaler in that order, then waits', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const changes = run.calls.filter(isMutating).map((c) => {
      if (c[1] === 'create') return `${c[0]!} create ${c[2]!} ${c[2] === 'secret' ? c[4]! : c[3]!}`;
      return c.slice(0, 3).join(' ');
    });
    const secret = (name: string): string[] => [`kubectl create secret ${name}`, 'kubectl apply -f'];
    expect(changes).toEqual([
      'kubectl create namespace data-platform',
      'kubectl apply -f',
      'kubectl apply -f', // gp3
      'kubectl apply -f', // efs-sc
      ...SECRETS.slice(0, 3).flatMap(secret),
      'kubectl create configmap airflow-rds-ca-bundle',
      'kubectl apply -f',
      ...SECRETS.slice(3).flatMap(secret),
      ...AFTER_SECRETS,
    ]);
    expect(run.stdout).toContain('Airflow UI: http://');
  });

  it('never passes a secret as an argument or prints one', () => {
    expectNoSecretLeak(run);
    expect(run.stdout).not.toContain(readOut(run, 'secret-airflow-fernet', 'fernet-key'));
  });

  it('builds the connection secrets for PgBouncer in front of RDS, with the credentials intact', () => {
    expect(readOut(run, 'secret-airflow-metadata-connection', 'connection')).toBe(
      `postgresql://airflow:${DB_PASSWORD_ENCODED}@prod-pgbouncer.data-platform:6543/prod-metadata?sslmode=disable`,
    );
    expect(readOut(run, 'secret-airflow-result-backend-connection', 'connection')).toBe(
      `db+postgresql://airflow:${DB_PASSWORD_ENCODED}@prod-pgbouncer.data-platform:6543/prod-result-backend?sslmode=disable`,
    );
    expect(readOut(run, 'secret-airflow-pgbouncer-stats-connection', 'connection')).toBe(
      `postgresql://airflow:${DB_PASSWORD_ENCODED}@127.0.0.1:6543/pgbouncer?sslmode=disable`,
    );
    const scalerUrl = new URL(readOut(run, 'secret-airflow-keda-scaler-metastore', 'connection'));
    expect(decodeURIComponent(scalerUrl.password)).toBe(SCALER_PASSWORD);
    expect(`${scalerUrl.username}@${scalerUrl.host}${scalerUrl.pathname}`).toBe('airflow_keda_scaler@prod-pgbouncer.data-platform:6543/prod-metadata');
  });

  it("writes PgBouncer's config: both aliases to the RDS endpoint, transaction pooling, verify-full TLS against the RDS CA bundle", () => {
    const ini = readOut(run, 'secret-airflow-pgbouncer-ini', 'pgbouncer.ini');
    expect(ini).toContain(`prod-metadata = host=${RDS_HOST} port=5432 dbname=airflow pool_size=10`);
    expect(ini).toContain(`prod-result-backend = host=${RDS_HOST} port=5432 dbname=airflow pool_size=5`);
    for (const line of ['pool_mode = transaction', 'listen_port = 6543', 'auth_type = scram-sha-256', 'ignore_startup_parameters = extra_float_digits',
      'server_tls_sslmode = verify-full', 'server_tls_ca_file = /etc/pgbouncer-rds/rds-ca-bundle.pem']) {
      expect(ini).toContain(`\n${line}\n`);
    }
    expect(readOut(run, 'secret-airflow-pgbouncer-ini', 'users.txt')).toBe(
      `"airflow" "${DB_PASSWORD.replaceAll('"', '""')}"\n"airflow_keda_scaler" "${SCALER_PASSWORD.replaceAll('"', '""')}"\n`,
    );
    expect(readOut(run, 'configmap-airflow-rds-ca-bundle', 'rds-ca-bundle.pem')).toBe(readOut({ ...run, out: h.sandbox }, 'global-bundle.pem'));
  });

  it('stores the deploy key under gitSshKey and generates a valid Fernet key', () => {
    expect(readOut(run, 'secret-airflow-git-ssh-key', 'gitSshKey')).toBe(`${h.sshKey}\n`);
    const fernet = readOut(run, 'secret-airflow-fernet', 'fernet-key');
    expect(fernet).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(Buffer.from(fernet, 'base64url')).toHaveLength(32);
  });

  it('keeps the admin password out of helm: a Secret the create-user Job reads, no values file with it', () => {
    expect(readOut(run, 'secret-airflow-admin-user', 'password')).toBe(h.validEnv()['AIRFLOW_ADMIN_PASSWORD']);
    const upgrade = run.calls.find((c) => c[0] === 'helm' && c[1] === 'upgrade')!;
    expect(upgrade.slice(0, 10)).toEqual(['helm', 'upgrade', '--install', 'prod', 'apache-airflow/airflow', '--version', '1.19.0', '--namespace', 'data-platform', '--values']);
    const valuesFiles = upgrade.filter((_, i) => upgrade[i - 1] === '--values');
    expect(valuesFiles).toEqual(['values.yaml', 'worker-concurrency.yaml', 'values-worker-sets.yaml'].map((f) => `${REPO_ROOT}/chart-values/${f}`));
    for (const file of outFiles(run).filter((f) => f.startsWith('helm-'))) expect(readOut(run, file)).not.toContain(h.validEnv()['AIRFLOW_ADMIN_PASSWORD']);
    expect(readOut(run, outFiles(run).find((f) => f.endsWith('set-file-dags.gitSync.knownHosts'))!)).toBe(`${KNOWN_HOSTS}\n`);
    expect(upgrade).toContain(`${REPO_ROOT}/deploy/helm-post-renderer/drop-worker-replicas`);
  });

  it('creates the gp3 and efs-sc StorageClasses when the cluster has neither', () => {
    const classes = applied(run).filter((m) => m.kind === 'StorageClass');
    expect(classes.map((c) => c.metadata.name)).toEqual(['gp3', 'efs-sc']);
    expect(classes[0]).toMatchObject({ provisioner: 'ebs.csi.aws.com', parameters: { type: 'gp3' }, volumeBindingMode: 'WaitForFirstConsumer' });
    expect(at(classes[1], 'parameters.fileSystemId')).toBe('fs-0123abcd');
    for (const storageClass of classes) validateManifest(storageClass);
  });

  it('applies the grant Job and the scaler re-targeted at the namespace and release, all valid', () => {
    // Everything but what `kubectl create ... --dry-run=client` made (the stub's bare objects) and the StorageClasses.
    const objects = applied(run).filter((m) => !['Secret', 'Namespace', 'StorageClass'].includes(m.kind) && m.metadata.name !== 'airflow-rds-ca-bundle');
    const kinds = objects.map((m) => `${m.kind}/${m.metadata.name}`);
    expect(kinds).toEqual(expect.arrayContaining(['Job/airflow-keda-scaler-grant', 'Deployment/airflow-keda-scaler', 'ScaledObject/airflow-worker-highcpu',
      'ValidatingAdmissionPolicy/airflow-keda-scaler.data-platform']));
    for (const manifest of objects) {
      validateManifest(manifest);
      expect(manifest.metadata.namespace, `${manifest.kind}/${manifest.metadata.name}`).toBe('data-platform');
    }
    const targets = objects.filter((m) => m.kind === 'ScaledObject').map((m) => at(m, 'spec.scaleTargetRef.name'));
    expect(targets.sort()).toEqual(['prod-worker', 'prod-worker-highcpu', 'prod-worker-highmem']);
    const binding = objects.find((m) => m.kind === 'RoleBinding')!;
    expect(at(binding, 'subjects')).toEqual([{ kind: 'ServiceAccount', name: 'airflow-keda-scaler', namespace: 'data-platform' }]);
    for (const so of objects.filter((m) => m.kind === 'ScaledObject')) {
      const metadata = (at(so, 'spec.triggers') as Record<string, unknown>[])[0]!['metadata'];
      expect(at(metadata, 'workerPodSelector'), so.metadata.name).toMatch(/^component=worker,airflow-keda-scaler\/worker-set=[a-z]+,release=prod$/);
    }
  });

  it('labels every scaler object it applies, and prunes by that label the kinds features add', () => {
    const apply = run.calls.find((c) => c[1] === 'apply' && c[2] === '-k' && c[3]!.endsWith('/.install'))!;
    expect(apply.slice(4)).toEqual([
      '--prune', '--selector', 'airflow-keda-scaler/installed-by=install.sh',
      '--prune-allowlist=core/v1/ConfigMap', '--prune-allowlist=keda.sh/v1alpha1/ScaledObject', '--prune-allowlist=keda.sh/v1alpha1/TriggerAuthentication',
      '--prune-allowlist=cert-manager.io/v1/Issuer', '--prune-allowlist=cert-manager.io/v1/Certificate',
      '--prune-allowlist=monitoring.coreos.com/v1/ServiceMonitor', '--prune-allowlist=monitoring.coreos.com/v1/PrometheusRule',
    ]);
    const scaler = applied(run).filter((m) => m.metadata.labels?.['app.kubernetes.io/name'] === 'airflow-keda-scaler' && m.kind !== 'Job');
    expect(scaler.length).toBeGreaterThan(10);
    for (const m of scaler) expect(m.metadata.labels?.['airflow-keda-scaler/installed-by'], `${m.kind}/${m.metadata.name}`).toBe('install.sh');
  });

  it('removes its temporary secret files when done', () => {
    expect(readdirSync(run.tmp)).toEqual([]);
  });

  it('runs the same commands again on a second run (idempotent)', () => {
    const again = h.run(['--worker-sets'], env);
    const normalize = (r: Run): string[] => r.calls.map((c) => c.join(' ').replace(/\/run-[0-9]+\//g, '/RUN/').replace(/airflow-keda-install\.[A-Za-z0-9]+/g, 'WORK'));
    expect(again.status).toBe(0);
    expect(normalize(again)).toEqual(normalize(run));
  });

  it('keeps generated secrets that already exist: a new Fernet key would make stored connections unreadable', () => {
    const kept = h.run([], { ...h.validEnv(), STUB_EXISTING_SECRETS: 'airflow-fernet airflow-api-secret airflow-jwt' });
    expect(kept.status).toBe(0);
    const created = kept.calls.filter((c) => c[1] === 'create' && c[2] === 'secret').map((c) => c[4]);
    expect(created).not.toContain('airflow-fernet');
    expect(created).not.toContain('airflow-api-secret');
    expect(created).not.toContain('airflow-jwt');
    expect(created).toContain('airflow-metadata-connection');
    expect(kept.stdout).toContain('Secret airflow-fernet exists; kept as it is');
  });
});

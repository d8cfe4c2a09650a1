import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEPLOY_DIR, REPO_ROOT, at, parseManifests, validateManifest } from './helpers.js';

const INSTALL = join(DEPLOY_DIR, 'install.sh');
const STUB = join(REPO_ROOT, 'test/deploy/fixtures/cli-stub.sh');
/** Everything install.sh and the stub call besides kubectl and helm: the only programs on PATH. */
const TOOLS = ['bash', 'env', 'dirname', 'basename', 'mktemp', 'cp', 'rm', 'mkdir', 'chmod', 'cat', 'head', 'base64', 'tr', 'sed', 'grep', 'find', 'wc', 'flock', 'mv'];

// Secret values with characters that need URL-encoding, SQL quoting and users.txt escaping.
const DB_PASSWORD = 'Rds"pa$$@w0rd:/x';
const DB_PASSWORD_ENCODED = encodeURIComponent(DB_PASSWORD);
const SCALER_PASSWORD = 'sc@ler"Secr3t#';
const ADMIN_PASSWORD = "ad'min-Passw0rd-long";
const SSH_KEY_BODY = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQSECRETKEYBODY';
const SSH_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\n${SSH_KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----`;
const RDS_HOST = 'airflow-db.abcdefghij.eu-west-1.rds.amazonaws.com';
const KNOWN_HOSTS = 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKEKEYFORTESTSONLYxxxxxxxxxxxxxxxxxxxxxxx';

const SECRET_VALUES = [DB_PASSWORD, DB_PASSWORD_ENCODED, SCALER_PASSWORD, encodeURIComponent(SCALER_PASSWORD), ADMIN_PASSWORD, SSH_KEY_BODY];

let sandbox: string;
let toolbox: string;
let keyFile: string;
let realKubectl: string;

function validEnv(): Record<string, string> {
  return {
    AIRFLOW_DB_URL: `postgresql://airflow:${DB_PASSWORD_ENCODED}@${RDS_HOST}:5432/airflow?sslmode=require`,
    SCALER_DB_PASSWORD: SCALER_PASSWORD,
    AIRFLOW_ADMIN_PASSWORD: ADMIN_PASSWORD,
    GIT_SSH_KEY_FILE: keyFile,
    GIT_KNOWN_HOSTS: KNOWN_HOSTS,
    GIT_REPO: 'git@github.com:example-org/airflow-dags.git',
    SCALER_IMAGE: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/airflow-keda-scaler:0.1.0',
  };
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Every kubectl/helm call, in order: [tool, ...args]. */
  readonly calls: string[][];
  /** What the stub kept of what would have reached the cluster. */
  readonly out: string;
  /** TMPDIR of the run: install.sh must leave nothing in it. */
  readonly tmp: string;
}

let runCounter = 0;

function runInstall(args: string[], env: Record<string, string>, options: { helm?: boolean } = {}): Run {
  runCounter += 1;
  const dir = join(sandbox, `run-${runCounter}`);
  const bin = join(dir, 'bin');
  const log = join(dir, 'log');
  const tmp = join(dir, 'tmp');
  for (const d of [bin, log, tmp]) mkdirSync(d, { recursive: true });
  for (const tool of options.helm === false ? ['kubectl'] : ['kubectl', 'helm']) {
    copyFileSync(STUB, join(bin, tool));
    chmodSync(join(bin, tool), 0o755);
  }
  const result = spawnSync(join(toolbox, 'bash'), [INSTALL, ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { PATH: `${bin}:${toolbox}`, HOME: dir, TMPDIR: tmp, STUB_LOG_DIR: log, REAL_KUBECTL: realKubectl, ...env },
  });
  const callDir = join(log, 'calls');
  const calls = existsSync(callDir)
    ? readdirSync(callDir)
        .sort()
        .map((file) => readFileSync(join(callDir, file), 'utf8').split('\0').slice(0, -1))
    : [];
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls, out: join(log, 'out'), tmp };
}

const MUTATING = new Set(['apply', 'create', 'delete', 'rollout', 'wait', 'patch', 'label', 'replace', 'upgrade', 'install', 'uninstall', 'repo']);

function isMutating(call: readonly string[]): boolean {
  const [tool, verb, sub] = call;
  if (tool === 'helm' && verb === 'plugin') return sub !== 'list';
  return verb !== undefined && MUTATING.has(verb);
}

function expectNoSecretLeak(run: Run): void {
  const visible = [run.stdout, run.stderr, ...run.calls.flat()].join('\n');
  for (const secret of SECRET_VALUES) expect(visible).not.toContain(secret);
}

/** The commands a run printed as `[dry-run] ...`, first words only. */
function dryRunLines(run: Run): string[] {
  return run.stdout
    .split('\n')
    .filter((line) => line.startsWith('    [dry-run] '))
    .map((line) => line.slice('    [dry-run] '.length));
}

function readOut(run: Run, ...path: string[]): string {
  return readFileSync(join(run.out, ...path), 'utf8');
}

beforeAll(() => {
  sandbox = mkdtempSync(join(tmpdir(), 'aks-install-'));
  toolbox = join(sandbox, 'toolbox');
  mkdirSync(toolbox);
  for (const tool of TOOLS) {
    const path = execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    symlinkSync(path, join(toolbox, tool));
  }
  realKubectl = execFileSync('bash', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
  keyFile = join(sandbox, 'deploy-key');
  writeFileSync(keyFile, `${SSH_KEY}\n`, { mode: 0o600 });
});

afterAll(() => {
  rmSync(sandbox, { recursive: true, force: true });
});


/** What install.sh runs once the secrets exist, in order: Airflow, its rollout, the grant Job, the scaler. */
const AFTER_SECRETS = [
      'helm repo add',
      'helm repo update',
      'helm upgrade --install',
      'kubectl rollout status',
      'kubectl rollout status',
      'kubectl delete job',
      'kubectl apply -k',
      'kubectl wait --for=condition=complete',
      'kubectl apply -k',
      'kubectl rollout status',
];
describe('deploy/install.sh --dry-run (stub kubectl and helm on PATH)', () => {
  let run: Run;
  beforeAll(() => {
    run = runInstall(['--dry-run'], validEnv());
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
      'kubectl get storageclass',
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
      const secret = /^kubectl create secret generic (\S+)/.exec(line);
      if (secret !== null) return `secret ${secret[1]!}`;
      return line.split(' ').slice(0, 3).join(' ');
    });
    expect(order).toEqual([
      'kubectl create namespace',
      'secret airflow-metadata-connection',
      'secret airflow-result-backend-connection',
      'secret airflow-pgbouncer-ini',
      'secret airflow-pgbouncer-stats-connection',
      'secret airflow-git-ssh-key',
      'secret airflow-fernet',
      'secret airflow-api-secret',
      'secret airflow-jwt',
      'secret airflow-keda-scaler-metastore',
      ...AFTER_SECRETS,
    ]);
  });

  it('creates everything idempotently: create --dry-run=client | apply, helm upgrade --install', () => {
    for (const line of dryRunLines(run).filter((l) => l.startsWith('kubectl create'))) {
      expect(line).toMatch(/ --dry-run=client -o yaml \| kubectl apply -f -$/);
    }
    const helm = dryRunLines(run).find((l) => l.startsWith('helm upgrade'))!;
    expect(helm).toMatch(/^helm upgrade --install airflow apache-airflow\/airflow --version 1\.19\.0 --namespace airflow /);
    expect(helm).toContain(`--values ${REPO_ROOT}/chart-values/values.yaml --values ${REPO_ROOT}/chart-values/worker-concurrency.yaml --values `);
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
    const helm4 = runInstall(['--dry-run'], { ...validEnv(), STUB_HELM_VERSION: 'v4.0.1' });
    expect(helm4.status).toBe(0);
    expect(helm4.calls).toContainEqual(['helm', 'plugin', 'list']);
    expect(dryRunLines(helm4)).toContain(`helm plugin install ${REPO_ROOT}/deploy/helm-post-renderer`);
    expect(dryRunLines(helm4).find((l) => l.startsWith('helm upgrade'))).toContain('--post-renderer drop-worker-replicas ');
    const installed = runInstall(['--dry-run'], { ...validEnv(), STUB_HELM_VERSION: 'v4.0.1', STUB_HELM_PLUGIN_INSTALLED: '1' });
    expect(dryRunLines(installed).some((l) => l.startsWith('helm plugin install'))).toBe(false);
  });

  it('with --worker-sets, adds the worker-sets values file after worker-concurrency.yaml', () => {
    const sets = runInstall(['--dry-run', '--worker-sets'], validEnv());
    expect(dryRunLines(sets).find((l) => l.startsWith('helm upgrade'))).toContain(
      `--values ${REPO_ROOT}/chart-values/worker-concurrency.yaml --values ${REPO_ROOT}/chart-values/values-worker-sets.yaml --values `,
    );
  });

  it('with --mtls and --monitoring, also checks for the cert-manager and Prometheus Operator CRDs', () => {
    const both = runInstall(['--dry-run', '--mtls', '--monitoring'], validEnv());
    expect(both.status).toBe(0);
    expect(both.calls).toContainEqual(['kubectl', 'get', 'crd', 'certificates.cert-manager.io', 'issuers.cert-manager.io', '-o', 'name']);
    expect(both.calls).toContainEqual(['kubectl', 'get', 'crd', 'servicemonitors.monitoring.coreos.com', 'prometheusrules.monitoring.coreos.com', '-o', 'name']);
    expect(both.calls.filter(isMutating)).toEqual([]);
  });
});

describe('deploy/install.sh, a real run against the stubs', () => {
  let run: Run;
  let env: Record<string, string>;
  beforeAll(() => {
    env = { ...validEnv(), AIRFLOW_NAMESPACE: 'data-platform', AIRFLOW_RELEASE: 'prod', STUB_NO_EFS_SC: '1', EFS_FILE_SYSTEM_ID: 'fs-0123abcd' };
    run = runInstall(['--worker-sets'], env);
  });

  it('applies namespace, StorageClass, secrets, chart, grant Job and scaler in that order, then waits', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const changes = run.calls.filter(isMutating).map((c) => {
      if (c[1] === 'create') return `${c[0]!} create ${c[2]!} ${c[2] === 'secret' ? c[4]! : c[3]!}`;
      return c.slice(0, 3).join(' ');
    });
    expect(changes).toEqual([
      'kubectl create namespace data-platform',
      'kubectl apply -f',
      'kubectl apply -f',
      ...['airflow-metadata-connection', 'airflow-result-backend-connection', 'airflow-pgbouncer-ini', 'airflow-pgbouncer-stats-connection',
        'airflow-git-ssh-key', 'airflow-fernet', 'airflow-api-secret', 'airflow-jwt', 'airflow-keda-scaler-metastore'].flatMap((name) => [
        `kubectl create secret ${name}`,
        'kubectl apply -f',
      ]),
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

  it("writes PgBouncer's config: both aliases to the RDS endpoint, transaction pooling, TLS to RDS, decoded passwords", () => {
    const ini = readOut(run, 'secret-airflow-pgbouncer-ini', 'pgbouncer.ini');
    expect(ini).toContain(`prod-metadata = host=${RDS_HOST} port=5432 dbname=airflow pool_size=10`);
    expect(ini).toContain(`prod-result-backend = host=${RDS_HOST} port=5432 dbname=airflow pool_size=5`);
    for (const line of ['pool_mode = transaction', 'listen_port = 6543', 'auth_type = scram-sha-256', 'ignore_startup_parameters = extra_float_digits', 'server_tls_sslmode = require']) {
      expect(ini).toContain(line);
    }
    expect(readOut(run, 'secret-airflow-pgbouncer-ini', 'users.txt')).toBe(
      `"airflow" "${DB_PASSWORD.replaceAll('"', '""')}"\n"airflow_keda_scaler" "${SCALER_PASSWORD.replaceAll('"', '""')}"\n`,
    );
  });

  it('stores the deploy key under gitSshKey and generates a valid Fernet key', () => {
    expect(readOut(run, 'secret-airflow-git-ssh-key', 'gitSshKey')).toBe(`${SSH_KEY}\n`);
    const fernet = readOut(run, 'secret-airflow-fernet', 'fernet-key');
    expect(fernet).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(Buffer.from(fernet, 'base64url')).toHaveLength(32);
  });

  it('gives helm the admin password in a values file, the known hosts as a file, and the post-renderer', () => {
    const upgrade = run.calls.find((c) => c[0] === 'helm' && c[1] === 'upgrade')!;
    expect(upgrade.slice(0, 10)).toEqual(['helm', 'upgrade', '--install', 'prod', 'apache-airflow/airflow', '--version', '1.19.0', '--namespace', 'data-platform', '--values']);
    const adminValues = readdirSync(run.out).find((f) => f.endsWith('admin-values.yaml'))!;
    expect(at(load(readOut(run, adminValues)), 'createUserJob.defaultUser.password')).toBe(ADMIN_PASSWORD);
    expect(readOut(run, readdirSync(run.out).find((f) => f.endsWith('set-file-dags.gitSync.knownHosts'))!)).toBe(`${KNOWN_HOSTS}\n`);
    expect(upgrade).toContain(`${REPO_ROOT}/deploy/helm-post-renderer/drop-worker-replicas`);
  });

  it('creates the efs-sc StorageClass for the given file system when the cluster has none', () => {
    const applied = readdirSync(run.out).filter((f) => f.startsWith('apply-')).map((f) => readOut(run, f));
    const storageClass = applied.flatMap((text) => (text.includes('kind: StorageClass') ? parseManifests(text) : []));
    expect(storageClass).toHaveLength(1);
    expect(at(storageClass[0], 'parameters.fileSystemId')).toBe('fs-0123abcd');
  });

  it('applies the grant Job and the scaler re-targeted at the namespace and release, all valid', () => {
    const applied = readdirSync(run.out)
      .filter((f) => f.startsWith('apply-'))
      .flatMap((f) => parseManifests(readOut(run, f)))
      .filter((m) => m.kind !== 'Secret' && m.kind !== 'secret' && m.kind !== 'namespace');
    const kinds = applied.map((m) => `${m.kind}/${m.metadata.name}`);
    expect(kinds).toEqual(expect.arrayContaining(['Job/airflow-keda-scaler-grant', 'Deployment/airflow-keda-scaler', 'ScaledObject/airflow-worker-highcpu']));
    for (const manifest of applied.filter((m) => m.kind !== 'StorageClass')) {
      validateManifest(manifest);
      expect(manifest.metadata.namespace).toBe('data-platform');
    }
    const targets = applied.filter((m) => m.kind === 'ScaledObject').map((m) => at(m, 'spec.scaleTargetRef.name'));
    expect(targets.sort()).toEqual(['prod-worker', 'prod-worker-highcpu', 'prod-worker-highmem']);
    // Scale-in: the Role and its binding, the release's worker pods and broker Secret.
    expect(kinds).toEqual(expect.arrayContaining(['Role/airflow-keda-scaler', 'RoleBinding/airflow-keda-scaler']));
    const binding = applied.find((m) => m.kind === 'RoleBinding')!;
    expect(at(binding, 'subjects')).toEqual([{ kind: 'ServiceAccount', name: 'airflow-keda-scaler', namespace: 'data-platform' }]);
    for (const so of applied.filter((m) => m.kind === 'ScaledObject')) {
      const metadata = (at(so, 'spec.triggers') as Record<string, unknown>[])[0]!['metadata'];
      expect(at(metadata, 'workerPodSelector'), so.metadata.name).toMatch(/^component=worker,airflow-keda-scaler\/worker-set=[a-z]+,release=prod$/);
    }
    const deployment = applied.find((m) => m.kind === 'Deployment' && m.metadata.name === 'airflow-keda-scaler')!;
    const containers = at(deployment, 'spec.template.spec.containers') as { name: string; env: { name: string; valueFrom?: unknown }[] }[];
    expect(containers.find((c) => c.name === 'scaler')!.env.find((e) => e.name === 'SCALER_BROKER_URL')?.valueFrom).toEqual({
      secretKeyRef: { name: 'prod-broker-url', key: 'connection', optional: true },
    });
  });

  it('removes its temporary secret files when done', () => {
    expect(readdirSync(run.tmp)).toEqual([]);
  });

  it('runs the same commands again on a second run (idempotent)', () => {
    const again = runInstall(['--worker-sets'], env);
    const normalize = (r: Run): string[] => r.calls.map((c) => c.join(' ').replace(/\/run-[0-9]+\//g, '/RUN/').replace(/airflow-keda-install\.[A-Za-z0-9]+/g, 'WORK'));
    expect(again.status).toBe(0);
    expect(normalize(again)).toEqual(normalize(run));
  });

  it('keeps generated secrets that already exist: a new Fernet key would make stored connections unreadable', () => {
    const kept = runInstall([], { ...validEnv(), STUB_EXISTING_SECRETS: 'airflow-fernet airflow-api-secret airflow-jwt' });
    expect(kept.status).toBe(0);
    const created = kept.calls.filter((c) => c[1] === 'create' && c[2] === 'secret').map((c) => c[4]);
    expect(created).not.toContain('airflow-fernet');
    expect(created).not.toContain('airflow-api-secret');
    expect(created).not.toContain('airflow-jwt');
    expect(created).toContain('airflow-metadata-connection');
    expect(kept.stdout).toContain('Secret airflow-fernet exists; kept as it is');
  });
});

describe('deploy/install.sh refuses bad input with a clear message and changes nothing', () => {
  const longName = 'a'.repeat(64);
  it.each<[string, Record<string, string | undefined>, string]>([
    ['a namespace with an underscore and capitals', { AIRFLOW_NAMESPACE: 'Prod_Airflow' }, 'AIRFLOW_NAMESPACE="Prod_Airflow" is not a valid name'],
    ['a namespace longer than 63 characters', { AIRFLOW_NAMESPACE: longName }, `AIRFLOW_NAMESPACE="${longName}" is not a valid name`],
    ['a release name with a dot', { AIRFLOW_RELEASE: 'air.flow' }, 'AIRFLOW_RELEASE="air.flow" is not a valid name'],
    ['a MySQL URI', { AIRFLOW_DB_URL: `mysql://airflow:${DB_PASSWORD_ENCODED}@${RDS_HOST}:3306/airflow` }, 'AIRFLOW_DB_URL is not of the form postgresql://'],
    ['a SQLAlchemy driver URI', { AIRFLOW_DB_URL: `postgresql+psycopg2://airflow:${DB_PASSWORD_ENCODED}@${RDS_HOST}/airflow` }, 'driver suffix'],
    ['a URI without a password', { AIRFLOW_DB_URL: `postgresql://airflow@${RDS_HOST}:5432/airflow` }, 'AIRFLOW_DB_URL is not of the form'],
    ['a URI with a raw @ in the password', { AIRFLOW_DB_URL: `postgresql://airflow:${DB_PASSWORD}@${RDS_HOST}:5432/airflow` }, 'AIRFLOW_DB_URL is not of the form'],
    ['a URI with other parameters', { AIRFLOW_DB_URL: `postgresql://airflow:${DB_PASSWORD_ENCODED}@${RDS_HOST}/airflow?options=-csearch_path%3Dx` }, 'the only query parameter understood is sslmode'],
    ['a missing scaler password', { SCALER_DB_PASSWORD: undefined }, 'SCALER_DB_PASSWORD is not set'],
    ['a missing database URI', { AIRFLOW_DB_URL: undefined }, 'AIRFLOW_DB_URL is not set'],
    ['an unreadable key file', { GIT_SSH_KEY_FILE: '/nonexistent/deploy-key' }, 'GIT_SSH_KEY_FILE="/nonexistent/deploy-key": cannot read that file'],
    ['a key that is not a private key', { GIT_SSH_KEY_FILE: undefined, GIT_SSH_KEY: 'ssh-ed25519 AAAA... public' }, 'GIT_SSH_KEY is not a PEM/OpenSSH private key'],
    ['an HTTPS git URL', { GIT_REPO: 'https://github.com/example-org/airflow-dags.git' }, 'use the scp-like SSH form'],
    ['known hosts that are not known_hosts lines', { GIT_KNOWN_HOSTS: 'github.com' }, 'GIT_KNOWN_HOSTS: "github.com" is not a known_hosts line'],
    ['an image without a tag', { SCALER_IMAGE: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/airflow-keda-scaler' }, 'explicit tag or digest'],
    ['a short admin password', { AIRFLOW_ADMIN_PASSWORD: 'admin' }, 'AIRFLOW_ADMIN_PASSWORD is shorter than 12 characters'],
    ['a malformed EFS id', { EFS_FILE_SYSTEM_ID: 'fs-xyz' }, 'EFS_FILE_SYSTEM_ID="fs-xyz" is not an EFS file system id'],
  ])('%s', (_label, overrides, message) => {
    const env: Record<string, string> = validEnv();
    for (const [key, value] of Object.entries(overrides)) {
      if (value === undefined) {
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the test removes one input
        delete env[key];
      } else {
        env[key] = value;
      }
    }
    for (const mode of [['--dry-run'], []]) {
      const run = runInstall(mode, env);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stderr).toContain('nothing was changed');
      expect(run.calls).toEqual([]);
      expect(readdirSync(run.tmp)).toEqual([]);
      expectNoSecretLeak(run);
    }
  });

  it('lists every problem at once', () => {
    const run = runInstall([], { ...validEnv(), AIRFLOW_NAMESPACE: 'Bad_NS', SCALER_IMAGE: 'x' });
    expect(run.stderr).toContain('AIRFLOW_NAMESPACE="Bad_NS"');
    expect(run.stderr).toContain('SCALER_IMAGE="x"');
  });

  it('refuses unknown arguments and --dry-run with --render', () => {
    expect(runInstall(['--dryrun'], validEnv())).toMatchObject({ status: 2, calls: [] });
    expect(runInstall(['--dry-run', '--render'], validEnv())).toMatchObject({ status: 2, calls: [] });
  });
});

describe('deploy/install.sh stops before any change when a tool or the cluster is not ready', () => {
  it.each<[string, Record<string, string>, string]>([
    ['the cluster is unreachable', { STUB_CLUSTER_DOWN: '1' }, 'the cluster is not reachable'],
    ["KEDA's CRDs are missing", { STUB_NO_KEDA: '1' }, "KEDA's CRDs are missing"],
    ['KEDA is older than 2.17', { STUB_KEDA_VERSION: '2.16.1' }, 'KEDA 2.16.1 is too old'],
    ['StorageClass efs-sc is missing and no EFS id is given', { STUB_NO_EFS_SC: '1' }, 'StorageClass efs-sc is missing: set EFS_FILE_SYSTEM_ID'],
  ])('%s', (_label, stubEnv, message) => {
    for (const mode of [['--dry-run'], []]) {
      const run = runInstall(mode, { ...validEnv(), ...stubEnv });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(message);
      expect(run.calls.length).toBeGreaterThan(0);
      expect(run.calls.filter(isMutating)).toEqual([]);
      expect(readdirSync(run.tmp)).toEqual([]);
    }
  });

  it('helm is not installed', () => {
    const run = runInstall([], validEnv(), { helm: false });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('not found on PATH: helm');
    expect(run.calls).toEqual([]);
  });
});

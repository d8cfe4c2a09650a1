import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { REPO_ROOT } from './helpers.js';
import { DB_PASSWORD_ENCODED, RDS_HOST, createHarness, isMutating, prerequisites } from './support/install-harness.js';
import type { Harness, Run } from './support/install-harness.js';

let h: Harness;
beforeAll(() => {
  h = createHarness();
});
afterAll(() => {
  h.close();
});

function withEnv(overrides: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = h.validEnv();
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the test removes one input
      delete env[key];
    } else {
      env[key] = value;
    }
  }
  return env;
}

function expectRefused(run: Run, message: string): void {
  expect(run.stderr).toContain(message);
  expect(run.status).toBe(2);
  expect(run.stderr).toContain('nothing was changed');
  expect(run.calls).toEqual([]);
  expect(readdirSync(run.tmp)).toEqual([]);
  for (const secret of h.secrets) expect(run.stdout + run.stderr).not.toContain(secret);
}

/** A key made by the real ssh-keygen, with the given options; its text. */
function sshKey(name: string, ...options: string[]): string {
  const file = join(h.sandbox, name);
  execFileSync('ssh-keygen', ['-q', ...options, '-C', name, '-f', file]);
  return readFileSync(file, 'utf8');
}

describe('deploy/install.sh refuses bad input with a clear message and changes nothing', () => {
  const longName = 'a'.repeat(64);
  it.each<[string, Record<string, string | undefined>, string]>([
    ['a namespace with an underscore and capitals', { AIRFLOW_NAMESPACE: 'Prod_Airflow' }, 'AIRFLOW_NAMESPACE="Prod_Airflow" is not a valid name'],
    ['a namespace longer than 63 characters', { AIRFLOW_NAMESPACE: longName }, `AIRFLOW_NAMESPACE="${longName}" is not a valid name`],
    ['a release name with a dot', { AIRFLOW_RELEASE: 'air.flow' }, 'AIRFLOW_RELEASE="air.flow" is not a valid name'],
    ['a MySQL URI', { AIRFLOW_DB_URL: `mysql://airflow:${DB_PASSWORD_ENCODED}@${RDS_HOST}:3306/airflow` }, 'AIRFLOW_DB_URL is not of the form postgresql://'],
    ['a SQLAlchemy driver URI', { AIRFLOW_DB_URL: `postgresql+psycopg2://airflow:${DB_PASSWORD_ENCODED}@${RDS_HOST}/airflow` }, 'driver suffix'],
    ['a URI without a password', { AIRFLOW_DB_URL: `postgresql://airflow@${RDS_HOST}:5432/airflow` }, 'AIRFLOW_DB_URL is not of the form'],
    ['a URI with a raw @ in the password', { AIRFLOW_DB_URL: `postgresql://airflow:pa@ss@${RDS_HOST}:5432/airflow` }, 'AIRFLOW_DB_URL is not of the form'],
    ['a URI with other parameters', { AIRFLOW_DB_URL: `postgresql://airflow:${DB_PASSWORD_ENCODED}@${RDS_HOST}/airflow?options=-csearch_path%3Dx` }, 'the only query parameter understood is sslmode'],
    ['an sslmode that does not verify RDS', { AIRFLOW_DB_URL: `postgresql://airflow:${DB_PASSWORD_ENCODED}@${RDS_HOST}/airflow?sslmode=require` }, 'sslmode=require does not verify the RDS certificate'],
    ['a URI longer than 2048 characters', { AIRFLOW_DB_URL: `postgresql://airflow:${'x'.repeat(2100)}@${RDS_HOST}/airflow` }, 'AIRFLOW_DB_URL is longer than 2048 characters'],
    ['no RDS CA bundle', { RDS_CA_BUNDLE_FILE: undefined }, 'RDS_CA_BUNDLE_FILE is not set'],
    ['a CA bundle without certificates', { RDS_CA_BUNDLE_FILE: '/etc/hostname' }, 'RDS_CA_BUNDLE_FILE="/etc/hostname" holds no PEM certificates'],
    ['a missing scaler password', { SCALER_DB_PASSWORD: undefined }, 'SCALER_DB_PASSWORD is not set'],
    ['a missing database URI', { AIRFLOW_DB_URL: undefined }, 'AIRFLOW_DB_URL is not set'],
    ['an unreadable key file', { GIT_SSH_KEY_FILE: '/nonexistent/deploy-key' }, 'GIT_SSH_KEY_FILE="/nonexistent/deploy-key": cannot read that file'],
    ['a key that is not a private key', { GIT_SSH_KEY_FILE: undefined, GIT_SSH_KEY: 'ssh-ed25519 AAAA... public' }, 'GIT_SSH_KEY is not a PEM/OpenSSH private key'],
    ['an OpenSSH armor around something else', { GIT_SSH_KEY_FILE: undefined, GIT_SSH_KEY: '-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n-----END OPENSSH PRIVATE KEY-----' }, 'GIT_SSH_KEY is not a valid OpenSSH private key'],
    ['an HTTPS git URL', { GIT_REPO: 'https://github.com/example-org/airflow-dags.git' }, 'use SSH, user@host:path or ssh://[user@]host[:port]/path'],
    ['an ssh:// URL without a path', { GIT_REPO: 'ssh://git@github.com' }, 'is not of the form user@host:path/repo.git or ssh://'],
    ['an ssh:// URL whose port is out of range', { GIT_REPO: 'ssh://git@github.com:70000/org/dags.git' }, 'GIT_REPO: port 70000 is out of range'],
    ['known hosts without the git host', { GIT_REPO: 'git@gitlab.example.com:org/dags.git' }, 'GIT_KNOWN_HOSTS has no key for gitlab.example.com'],
    ['known hosts for port 22 when the remote uses 2222', { GIT_REPO: 'ssh://git@github.com:2222/org/dags.git' }, 'GIT_KNOWN_HOSTS has no key for [github.com]:2222'],
    ['known hosts that are not known_hosts lines', { GIT_KNOWN_HOSTS: 'github.com' }, 'GIT_KNOWN_HOSTS: "github.com" is not a known_hosts line'],
    ['an image without a tag', { SCALER_IMAGE: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/airflow-keda-scaler' }, 'explicit tag or digest'],
    ['a grant image by tag only', { GRANT_IMAGE: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/postgres:17-alpine' }, 'is not pinned by digest'],
    ['a malformed ACM ARN', { UI_TLS_CERTIFICATE_ARN: 'arn:aws:iam::123456789012:server-certificate/ui' }, 'is not an ACM certificate ARN'],
    ['a short admin password', { AIRFLOW_ADMIN_PASSWORD: 'admin' }, 'AIRFLOW_ADMIN_PASSWORD is shorter than 12 characters'],
    ['a malformed EFS id', { EFS_FILE_SYSTEM_ID: 'fs-xyz' }, 'EFS_FILE_SYSTEM_ID="fs-xyz" is not an EFS file system id'],
    ['an unbounded helm timeout', { HELM_TIMEOUT: '99999m' }, 'HELM_TIMEOUT="99999m" is not a duration'],
  ])('%s', (_label, overrides, message) => {
    for (const mode of [['--dry-run'], []]) expectRefused(h.run(mode, withEnv(overrides)), message);
  });

  it('lists every problem at once', () => {
    const run = h.run([], withEnv({ AIRFLOW_NAMESPACE: 'Bad_NS', SCALER_IMAGE: 'x' }));
    expect(run.stderr).toContain('AIRFLOW_NAMESPACE="Bad_NS"');
    expect(run.stderr).toContain('SCALER_IMAGE="x"');
  });

  it('refuses unknown arguments and --dry-run with --render', () => {
    expect(h.run(['--dryrun'], h.validEnv())).toMatchObject({ status: 2, calls: [] });
    expect(h.run(['--dry-run', '--render'], h.validEnv())).toMatchObject({ status: 2, calls: [] });
  });
});

describe('GIT_SSH_KEY: keys made by ssh-keygen', () => {
  it.each<[string, string[]]>([
    ['an OpenSSH ed25519 key with a passphrase (aes256-ctr inside the body, no ENCRYPTED in the text)', ['-t', 'ed25519', '-N', 'correct horse']],
    ['a PEM RSA key with a passphrase (Proc-Type: 4,ENCRYPTED)', ['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', 'correct horse']],
    ['a PKCS#8 key with a passphrase (ENCRYPTED PRIVATE KEY)', ['-t', 'ecdsa', '-m', 'PKCS8', '-N', 'correct horse']],
  ])('refuses %s', (label, options) => {
    const key = sshKey(`enc-${String(options.length)}-${options[1]!}`, ...options);
    // The control: ssh-keygen itself cannot read it without the passphrase.
    expect(() => execFileSync('ssh-keygen', ['-y', '-P', '', '-f', join(h.sandbox, `enc-${String(options.length)}-${options[1]!}`)], { stdio: 'ignore' })).toThrow();
    if (label.startsWith('an OpenSSH')) expect(key).not.toContain('ENCRYPTED');
    expectRefused(h.run(['--dry-run'], withEnv({ GIT_SSH_KEY_FILE: undefined, GIT_SSH_KEY: key })), 'GIT_SSH_KEY is passphrase-protected');
  });

  it.each<[string, string[]]>([
    ['an OpenSSH ed25519 key without a passphrase', ['-t', 'ed25519', '-N', '']],
    ['an OpenSSH RSA key without a passphrase', ['-t', 'rsa', '-b', '2048', '-N', '']],
    ['a PEM RSA key without a passphrase', ['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '']],
  ])('accepts %s', (_label, options) => {
    const key = sshKey(`plain-${options[1]!}-${String(options.length)}`, ...options);
    const run = h.run(['--dry-run'], withEnv({ GIT_SSH_KEY_FILE: undefined, GIT_SSH_KEY: key }));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('GIT_REPO: scp-like and ssh:// remotes', () => {
  it.each<[string, string]>([
    ['git@github.com:example-org/airflow-dags.git', 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKE'],
    ['ssh://git@github.com/example-org/airflow-dags.git', 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKE'],
    ['ssh://github.com/example-org/airflow-dags.git', 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKE'],
    ['ssh://git@git.example.com:2222/data/dags.git', '[git.example.com]:2222,[10.0.0.5]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKE'],
    ['ssh://git@git.example.com:2222/data/dags.git', '|1|c2FsdA==|aGFzaA== ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKE'],
  ])('%s with known hosts %s', (repo, knownHosts) => {
    const run = h.run(['--dry-run'], withEnv({ GIT_REPO: repo, GIT_KNOWN_HOSTS: knownHosts }));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`--set-string dags.gitSync.repo=${repo} `);
  });
});

describe('deploy/install.sh stops before any change when a tool or the cluster is not ready', () => {
  it.each<[string, Record<string, string>, string]>([
    ['the cluster is unreachable', { STUB_CLUSTER_DOWN: '1' }, 'the cluster is not reachable'],
    ['Kubernetes is older than 1.30', { STUB_SERVER_VERSION: 'v1.29.9-eks-1' }, 'Kubernetes 1.29.9 is too old'],
    ["KEDA's CRDs are missing", { STUB_NO_KEDA: '1' }, "KEDA's CRDs are missing"],
    ['KEDA is older than 2.17', { STUB_KEDA_VERSION: '2.16.1' }, 'KEDA 2.16.1 is too old'],
    ['the AWS Load Balancer Controller is missing', { STUB_NO_LBC: '1' }, 'the AWS Load Balancer Controller is missing'],
    ['StorageClass gp3 and the EBS CSI driver are missing', { STUB_NO_GP3_SC: '1', STUB_NO_EBS_CSI: '1' }, 'StorageClass gp3 (Redis\' volume) is missing and so is the EBS CSI driver'],
    ['StorageClass efs-sc is missing and no EFS id is given', { STUB_NO_EFS_SC: '1' }, 'StorageClass efs-sc is missing: set EFS_FILE_SYSTEM_ID'],
    ['StorageClass efs-sc is missing and so is the EFS CSI driver', { STUB_NO_EFS_SC: '1', STUB_NO_EFS_CSI: '1', EFS_FILE_SYSTEM_ID: 'fs-0123abcd' }, 'the EFS CSI driver is missing'],
  ])('%s', (_label, stubEnv, message) => {
    for (const mode of [['--dry-run'], []]) {
      const run = h.run(mode, { ...h.validEnv(), ...stubEnv });
      expect(run.stderr).toContain(message);
      expect(run.status).toBe(1);
      expect(run.calls.length).toBeGreaterThan(0);
      expect(run.calls.filter(isMutating)).toEqual([]);
      expect(readdirSync(run.tmp)).toEqual([]);
    }
  });

  it('--mtls without cert-manager, --monitoring without the Prometheus Operator', () => {
    const mtls = h.run(['--dry-run', '--mtls'], { ...h.validEnv(), STUB_NO_CERT_MANAGER: '1' });
    expect(mtls).toMatchObject({ status: 1 });
    expect(mtls.stderr).toContain('--mtls needs cert-manager');
    const monitoring = h.run(['--dry-run', '--monitoring'], { ...h.validEnv(), STUB_NO_PROMETHEUS_OPERATOR: '1' });
    expect(monitoring.stderr).toContain('--monitoring needs the Prometheus Operator');
  });

  it('helm is not installed', () => {
    const run = h.run([], h.validEnv(), { helm: false });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('not found on PATH: helm');
    expect(run.calls).toEqual([]);
  });
});

describe('bounded waits and pruning', () => {
  it('a failed grant Job stops the install at once, with its log, before the scaler is applied', () => {
    const run = h.run([], { ...h.validEnv(), STUB_GRANT_JOB: 'Failed' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('job/airflow-keda-scaler-grant failed');
    expect(run.stderr).toContain('password authentication failed'); // kubectl logs, shown
    const afterGrant = run.calls.slice(run.calls.findIndex((c) => c[1] === 'get' && c[2] === 'job'));
    expect(afterGrant.map((c) => c.slice(0, 2).join(' '))).toEqual(['kubectl get', 'kubectl logs']);
  });

  it('the grant Job itself is bounded: one retry, a 5-minute deadline, and install.sh waits at most a minute longer', () => {
    const job = readFileSync(join(REPO_ROOT, 'deploy/rds/grant-job.yaml'), 'utf8');
    expect(job).toMatch(/^ {2}backoffLimit: 1$/m);
    expect(job).toMatch(/^ {2}activeDeadlineSeconds: 300$/m);
    expect(readFileSync(join(REPO_ROOT, 'deploy/install.sh'), 'utf8')).toMatch(/^readonly GRANT_DEADLINE_SECONDS=360 /m);
  });

  it('GRANT_IMAGE, pinned by digest, replaces the grant image', () => {
    const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/postgres@sha256:${'c'.repeat(64)}`;
    const run = h.run([], { ...h.validEnv(), GRANT_IMAGE: image });
    expect(run.status).toBe(0);
    const out = readdirSync(run.out).filter((f) => f.startsWith('apply-')).map((f) => readFileSync(join(run.out, f), 'utf8'));
    const job = out.find((text) => text.includes('kind: Job'))!;
    expect(job).toContain(`image: ${image}\n`);
  });

  it('without cert-manager or the Prometheus Operator in the cluster, prunes only the kinds it can map', () => {
    const run = h.run([], { ...h.validEnv(), STUB_NO_CERT_MANAGER: '1', STUB_NO_PROMETHEUS_OPERATOR: '1' });
    expect(run.status).toBe(0);
    const apply = run.calls.find((c) => c[1] === 'apply' && c[2] === '-k' && c[3]!.endsWith('/.install'))!;
    expect(apply.filter((a) => a.startsWith('--prune-allowlist='))).toEqual([
      '--prune-allowlist=core/v1/ConfigMap', '--prune-allowlist=keda.sh/v1alpha1/ScaledObject', '--prune-allowlist=keda.sh/v1alpha1/TriggerAuthentication',
    ]);
  });
});

describe("README's prerequisites are what install.sh --dry-run checks", () => {
  it('the same list, in the same order', () => {
    const run = h.run(['--dry-run', '--mtls', '--monitoring'], h.validEnv());
    expect(run.status).toBe(0);
    const checked = [...prerequisites(run).keys()];
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### 1. Before you start'), readme.indexOf('### 2.'));
    const listed = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    expect(listed).toEqual(checked);
    expect(checked.length).toBeGreaterThanOrEqual(10);
  });

  it('and the check is real: a prerequisite install.sh did not report would be missing from the list', () => {
    const run = h.run(['--dry-run'], h.validEnv()); // without --mtls and --monitoring
    expect([...prerequisites(run).keys()]).not.toContain('cert-manager (--mtls)');
  });
});

describe('--help fits an 80-column terminal', () => {
  it('every line', () => {
    const help = execFileSync('bash', [join(REPO_ROOT, 'deploy/install.sh'), '--help'], { encoding: 'utf8' });
    for (const line of help.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    for (const input of ['AIRFLOW_DB_URL', 'RDS_CA_BUNDLE_FILE', 'GIT_REPO', 'UI_TLS_CERTIFICATE_ARN', 'GRANT_IMAGE']) expect(help).toContain(input);
  });
});


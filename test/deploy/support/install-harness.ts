import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DEPLOY_DIR, REPO_ROOT } from './paths.js';
import { kubectlBinary } from './tools.js';

/**
 * Runs deploy/install.sh against test/deploy/fixtures/cli-stub.sh, installed as `kubectl` and
 * `helm`, with nothing else on PATH but the tools the script and the stub need.
 */
export const INSTALL = join(DEPLOY_DIR, 'install.sh');
const STUB = join(REPO_ROOT, 'test/deploy/fixtures/cli-stub.sh');
const TOOLS = ['bash', 'env', 'dirname', 'basename', 'mktemp', 'cp', 'rm', 'mkdir', 'chmod', 'cat', 'head', 'base64', 'od', 'tr', 'sed', 'grep', 'find', 'wc', 'flock', 'mv', 'sleep'];

// Secret values with characters that need URL-encoding, SQL quoting and users.txt escaping.
export const DB_PASSWORD = 'Rds"pa$$@w0rd:/x';
export const DB_PASSWORD_ENCODED = encodeURIComponent(DB_PASSWORD);
export const SCALER_PASSWORD = 'sc@ler"Secr3t#';
export const ADMIN_PASSWORD = "ad'min-Passw0rd-long";
export const RDS_HOST = 'airflow-db.abcdefghij.eu-west-1.rds.amazonaws.com';
export const KNOWN_HOSTS = 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKEKEYFORTESTSONLYxxxxxxxxxxxxxxxxxxxxxxx';

export interface Run {
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

export interface Harness {
  /** A real ed25519 deploy key without a passphrase (ssh-keygen), and its file. */
  readonly sshKey: string;
  readonly keyFile: string;
  readonly caFile: string;
  readonly sandbox: string;
  /** Every secret value the runs use: none may reach output or arguments. */
  readonly secrets: readonly string[];
  validEnv(): Record<string, string>;
  run(args: string[], env: Record<string, string>, options?: { helm?: boolean }): Run;
  close(): void;
}

export function createHarness(): Harness {
  const sandbox = mkdtempSync(join(tmpdir(), 'aks-install-'));
  const toolbox = join(sandbox, 'toolbox');
  mkdirSync(toolbox);
  for (const tool of TOOLS) {
    const path = execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    symlinkSync(path, join(toolbox, tool));
  }
  const keyFile = join(sandbox, 'deploy-key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'airflow-git-sync', '-f', keyFile]);
  const sshKey = readFileSync(keyFile, 'utf8').trimEnd();
  const caFile = join(sandbox, 'global-bundle.pem');
  // Two throwaway certificates stand in for AWS' bundle (install.sh checks PEM framing, not trust).
  const ca = execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=Test RDS CA', '-days', '1'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  writeFileSync(caFile, ca + ca);
  const keyBody = sshKey.split('\n').slice(1, -1).join('');
  const secrets = [DB_PASSWORD, DB_PASSWORD_ENCODED, SCALER_PASSWORD, encodeURIComponent(SCALER_PASSWORD), ADMIN_PASSWORD, keyBody.slice(20, 80)];
  let counter = 0;

  return {
    sshKey,
    keyFile,
    caFile,
    sandbox,
    secrets,
    validEnv: () => ({
      AIRFLOW_DB_URL: `postgresql://airflow:${DB_PASSWORD_ENCODED}@${RDS_HOST}:5432/airflow`,
      RDS_CA_BUNDLE_FILE: caFile,
      SCALER_DB_PASSWORD: SCALER_PASSWORD,
      AIRFLOW_ADMIN_PASSWORD: ADMIN_PASSWORD,
      GIT_SSH_KEY_FILE: keyFile,
      GIT_KNOWN_HOSTS: KNOWN_HOSTS,
      GIT_REPO: 'git@github.com:example-org/airflow-dags.git',
      SCALER_IMAGE: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/airflow-keda-scaler:0.1.0',
    }),
    run(args, env, options = {}) {
      counter += 1;
      const dir = join(sandbox, `run-${String(counter)}`);
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
        env: { PATH: `${bin}:${toolbox}`, HOME: dir, TMPDIR: tmp, STUB_LOG_DIR: log, REAL_KUBECTL: kubectlBinary(), ...env },
      });
      const callDir = join(log, 'calls');
      const calls = existsSync(callDir)
        ? readdirSync(callDir)
            .sort()
            .map((file) => readFileSync(join(callDir, file), 'utf8').split('\0').slice(0, -1))
        : [];
      return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls, out: join(log, 'out'), tmp };
    },
    close() {
      rmSync(sandbox, { recursive: true, force: true });
    },
  };
}

const MUTATING = new Set(['apply', 'create', 'delete', 'rollout', 'wait', 'patch', 'label', 'replace', 'upgrade', 'install', 'uninstall', 'repo']);

export function isMutating(call: readonly string[]): boolean {
  const [tool, verb, sub] = call;
  if (tool === 'helm' && verb === 'plugin') return sub !== 'list';
  return verb !== undefined && MUTATING.has(verb);
}

/** The commands a run printed as `[dry-run] ...`. */
export function dryRunLines(run: Run): string[] {
  return run.stdout
    .split('\n')
    .filter((line) => line.startsWith('    [dry-run] '))
    .map((line) => line.slice('    [dry-run] '.length));
}

/** The prerequisites a run reported, `ok: LABEL: detail`, as LABEL -> detail. */
export function prerequisites(run: Run): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of run.stdout.split('\n')) {
    const match = /^ {4}ok: (.+?): (.*)$/.exec(line);
    if (match !== null) found.set(match[1]!, match[2]!);
  }
  return found;
}

export function readOut(run: Run, ...path: string[]): string {
  return readFileSync(join(run.out, ...path), 'utf8');
}

export function outFiles(run: Run): string[] {
  return existsSync(run.out) ? readdirSync(run.out) : [];
}

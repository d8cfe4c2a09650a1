import { Network } from 'testcontainers';
import type { StartedNetwork, StartedTestContainer } from 'testcontainers';
import { GenericContainer, Wait, getContainerRuntimeClient } from 'testcontainers';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import type { StartedPostgreSqlContainer } from '@testcontainers/postgresql';

import { USERLIST, pgbouncerIni } from './pgbouncer-config.js';
import type { TestServers } from './servers.js';

const POSTGRES_IMAGE = 'postgres:16-alpine';
// PgBouncer 1.23, the version the Airflow chart 1.19 image ships.
const PGBOUNCER_IMAGE = 'edoburu/pgbouncer:v1.23.1-p3';
const POSTGRES_ALIAS = 'metastore';

export async function containerRuntimeAvailable(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** PgBouncer with the same pgbouncer.ini as on the host; the image uses a provided ini as is. */
export async function startPgBouncerContainer(servers: TestServers, hostPort?: number): Promise<StartedTestContainer> {
  const network = servers.containerNetwork;
  if (network === null) throw new Error('containers mode without a network');
  const ini = pgbouncerIni({
    listenAddr: '0.0.0.0',
    port: 6432,
    postgresHost: network.postgresAlias,
    postgresPort: 5432,
    authFile: '/etc/pgbouncer/userlist.txt',
  });
  const container = new GenericContainer(PGBOUNCER_IMAGE)
    .withNetworkMode(network.name)
    .withCopyContentToContainer([
      { content: ini, target: '/etc/pgbouncer/pgbouncer.ini', mode: 0o644 },
      { content: USERLIST, target: '/etc/pgbouncer/userlist.txt', mode: 0o644 },
    ])
    .withExposedPorts(hostPort === undefined ? 6432 : { container: 6432, host: hostPort })
    .withWaitStrategy(Wait.forListeningPorts());
  return container.start();
}

export interface StartedContainers {
  readonly servers: TestServers;
  stop(): Promise<void>;
}

export async function startContainers(): Promise<StartedContainers> {
  const network: StartedNetwork = await new Network().start();
  const postgres: StartedPostgreSqlContainer = await new PostgreSqlContainer(POSTGRES_IMAGE)
    .withNetwork(network)
    .withNetworkAliases(POSTGRES_ALIAS)
    .withUsername('postgres')
    .withPassword('postgres')
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .start();
  const base = {
    mode: 'containers' as const,
    postgresAdminUrl: postgres.getConnectionUri(),
    pgbouncerBin: null,
    containerNetwork: { name: network.getName(), postgresAlias: POSTGRES_ALIAS },
  };
  const bouncer = await startPgBouncerContainer({ ...base, pgbouncerUrl: '' });
  const servers: TestServers = {
    ...base,
    pgbouncerUrl: `postgresql://postgres@${bouncer.getHost()}:${bouncer.getMappedPort(6432)}/postgres`,
  };
  return {
    servers,
    stop: async () => {
      await bouncer.stop();
      await postgres.stop();
      await network.stop();
    },
  };
}

import { GenericContainer, Wait } from 'testcontainers';

import { containerRuntimeAvailable } from './containers.js';

const REDIS_IMAGE = 'redis:7-alpine';
const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

export interface TestRedis {
  /** Base URL without a database path; suites pick a database number of their own. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The Redis the Celery tests use as a broker: `TEST_REDIS_URL` (CI starts one), else a container
 * when a runtime is available, else (outside CI only) the usual local port.
 */
export async function resolveTestRedis(): Promise<TestRedis> {
  const fromEnv = process.env['TEST_REDIS_URL'];
  if (fromEnv !== undefined && fromEnv !== '') return { url: fromEnv, stop: async () => undefined };
  if (await containerRuntimeAvailable()) {
    const container = await new GenericContainer(REDIS_IMAGE)
      .withExposedPorts(6379)
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
      .start();
    return {
      url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
      stop: async () => {
        await container.stop();
      },
    };
  }
  if (process.env['CI'] === undefined) return { url: LOCAL_REDIS_URL, stop: async () => undefined };
  throw new Error(
    'The Celery tests need Redis: set TEST_REDIS_URL (`bash .ci/run` starts one on 127.0.0.1:6379) ' +
      'or provide a container runtime for testcontainers.',
  );
}

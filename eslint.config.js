// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ADAPTERS = ['celery', 'config', 'demo', 'grpc', 'http', 'kubernetes', 'metastore', 'poller', 'scale-in', 'sim', 'telemetry'];
const COMPOSITION_ROOTS = ['main', 'cli'];
// live/ wires the simulator, the demo metastore and a gRPC client together: composition, not an adapter.
const COMPOSITION_DIRS = ['live', 'commands'];

/** Everything under src/ except `allowed`, as relative import patterns from one or two levels down. */
function foreignModules(allowed) {
  return ['../', '../../'].flatMap((up) => [
    ...ADAPTERS.filter((name) => name !== allowed).map((name) => `${up}${name}/*`),
    ...COMPOSITION_ROOTS.map((name) => `${up}${name}.js`),
    ...COMPOSITION_DIRS.map((name) => `${up}${name}/*`),
  ]);
}

/** Core is pure: no I/O libraries, no clock, no timers. */
const CORE_FORBIDDEN_PACKAGES = [
  'node:fs', 'node:fs/promises', 'node:net', 'node:http', 'node:child_process', 'node:os', 'node:timers',
  'pg', 'pg-connection-string', '@grpc/*', 'grpc-health-check', 'fastify', 'prom-client', 'pino', 'js-yaml',
  '@electric-sql/*', '@kubernetes/*', 'ioredis',
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      eqeqeq: ['error', 'always'],
      curly: ['error', 'multi-line'],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: foreignModules('core'), message: 'core depends on nothing else in src/.' },
            { group: CORE_FORBIDDEN_PACKAGES, message: 'core is pure: I/O belongs in an adapter.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'core has no timers; the caller schedules.' },
        { name: 'setInterval', message: 'core has no timers; the caller schedules.' },
        { name: 'process', message: 'core reads no environment; config/ passes it in.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'the clock is a parameter in core.' },
        { object: 'Math', property: 'random', message: 'randomness is a parameter in core.' },
      ],
    },
  },
  ...ADAPTERS.map((adapter) => ({
    files: [`src/${adapter}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: foreignModules(adapter), message: 'adapters depend only on core; main.ts wires them.' }] },
      ],
    },
  })),
  {
    // The simulator's model is pure like core: it reads no input, writes no output, and takes its
    // clock and randomness as parameters (seeded generators), so a run is reproducible.
    files: ['src/sim/model/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: foreignModules('sim'), message: 'adapters depend only on core; main.ts wires them.' },
            { group: ['../input/*', '../output/*', '../command.js', '../sweep.js', '../sweep-worker.js'], message: 'the model reads no input and writes no output.' },
            { group: ['node:*', ...CORE_FORBIDDEN_PACKAGES], message: 'the model is pure: I/O belongs in sim/input or sim/output.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'the model has no timers: events are scheduled in virtual time.' },
        { name: 'setInterval', message: 'the model has no timers: events are scheduled in virtual time.' },
        { name: 'setImmediate', message: 'the model has no timers: events are scheduled in virtual time.' },
        { name: 'process', message: 'the model reads no environment.' },
        { name: 'Date', message: 'the model has no wall clock: time is simulated seconds.' },
      ],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'randomness comes from the seeded generators in random.ts.' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/explicit-module-boundary-types': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      // Probes passed to eventually() are async by contract even when they need no await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'off',
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);

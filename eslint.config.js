// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports the pure policy core must never take: it sees data, not the world. */
const ioModules = [
  'fastify',
  '@fastify/*',
  '@kubernetes/client-node',
  'node-forge',
  'pino',
  'prom-client',
  'commander',
  'node:*',
];
/** Node's built-ins by bare name, matched exactly (as patterns they would also ban a folder such as policy/net/). */
const ioBuiltins = ['fs', 'path', 'http', 'https', 'net', 'tls', 'child_process'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'certs/**', '.bench/**', '.fuzz/**', '.soak/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use string-literal unions or `as const`, not enum.' },
      ],
    },
  },
  {
    files: ['src/policy/**/*.ts', 'src/admission/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioBuiltins.map((name) => ({
            name,
            message: 'The policy core is pure: no I/O imports (see STYLE.md).',
          })),
          patterns: ioModules.map((group) => ({
            group: [group],
            message: 'The policy core is pure: no I/O imports (see STYLE.md).',
          })),
        },
      ],
    },
  },
);

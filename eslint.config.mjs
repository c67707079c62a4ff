// ESLint (typescript-eslint, type-aware). `npm run lint` runs with --max-warnings 0.
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const CORE = ['./src/bot', './src/orchestrator', './src/shared'];
const CORE_MESSAGE = 'The core (bot, orchestrator, shared) runs anywhere: it never imports the host, the CLI, the extension, the language server, the webview or the virtual device. Compose in src/host, or inject a port.';

/** The layering of src/ (test/unit/layers/lintLayers.test.ts checks these rules stay). */
export const LAYER_ZONES = [
  { target: CORE, from: ['./src/virtual', './src/host', './src/cli', './src/extension', './src/language', './src/webview'], message: CORE_MESSAGE },
  { target: './src/bot', from: './src/orchestrator', message: 'The bot layer never imports the orchestrator: put the type in src/bot or src/shared, or inject it.' },
  { target: './src/shared', from: './src', except: ['./shared'], message: 'src/shared imports nothing of ours (only packages such as zod or yaml).' },
  { target: './src/virtual', from: './src', except: ['./shared', './virtual'], message: 'The virtual device imports only src/shared (its Logger and Clock are shared ports).' },
  { target: './src/webview', from: './src', except: ['./shared', './webview'], message: 'The webview imports only src/shared.' },
  { target: './src/language', from: ['./src/cli', './src/extension', './src/virtual', './src/webview'], message: 'The language features use the core (shared, bot, orchestrator) only.' },
  // The language server is a Node process of its own: like every Node entry it may use the Node implementations of
  // the shared ports (host/nodePorts.ts), and nothing else of the host.
  { target: './src/language', from: './src/host', except: ['./nodePorts.ts'], message: 'The language features use the core (shared, bot, orchestrator) only, and the Node ports of src/host/nodePorts.ts.' },
  { target: './src/host', from: ['./src/cli', './src/extension', './src/language', './src/webview'], message: 'The host composes the core; its callers (CLI, extension) import it, not the other way round.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', '.test-tmp/**', 'bin/**', '*.mjs', 'scripts/*.mjs', 'test/vscode/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-require-imports': 'off',
      curly: 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // The pure core never imports vscode.
    files: ['src/bot/**', 'src/orchestrator/**', 'src/shared/**', 'src/virtual/**', 'src/cli/**', 'src/webview/**', 'src/language/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'The core is vscode-free: put this in src/extension or behind a port.' }] }],
    },
  },
  {
    // Layering and cycles, resolved like TypeScript resolves our extensionless relative imports.
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: LAYER_ZONES }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);

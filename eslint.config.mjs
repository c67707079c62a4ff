// ESLint (typescript-eslint, type-aware). `npm run lint` runs with --max-warnings 0.
import tseslint from 'typescript-eslint';

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
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);

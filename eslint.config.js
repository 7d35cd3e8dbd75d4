import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'build/',
      'public/build/',
      '.data/',
      '.cache/',
      'test-results/',
      'playwright-report/',
      'coverage/',
      '.test-reports/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node, ...globals.browser },
    },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': ['error', { allow: ['warn', 'error', 'log', 'table'] }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // `make dev` compiles app modules with Babel, which refuses `declare` class fields.
      'no-restricted-syntax': [
        'error',
        {
          selector: 'PropertyDefinition[declare=true]',
          message:
            'Babel (the dev compiler) refuses declare fields: narrow through generics instead.',
        },
      ],
    },
  },
  {
    // Browser code must never pull in server modules (secrets, database).
    files: ['app/**/*.tsx'],
    ignores: ['app/entry.server.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/db/*', '**/jobs/*', 'pg', 'pg-boss'],
              message: 'Import server code through a .server.ts module.',
            },
          ],
        },
      ],
    },
  },
)

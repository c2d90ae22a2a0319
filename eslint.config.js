import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'web/dist/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The dashboard runs in a browser: its globals, and the rules of hooks.
    files: ['web/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        localStorage: 'readonly',
        EventSource: 'readonly',
        MessageEvent: 'readonly',
        Event: 'readonly',
        Headers: 'readonly',
        AbortSignal: 'readonly',
        URLSearchParams: 'readonly',
        crypto: 'readonly',
        HTMLElement: 'readonly',
      },
    },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    // Tests read JSON answers as a client would, without declaring a type for each.
    files: ['tests/**', '**/test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);

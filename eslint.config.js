// Lint rules: typescript-eslint's recommended set over the whole workspace.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'test-artifacts/', 'testdata/', 'services/all-in-one/public/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use `as const` objects, not enums (STYLE.md).' }],
    },
  },
  {
    // The console's page scripts: plain browser scripts sharing one global scope (console-talk.js
    // defines Talk, console-players.js createPlayer, for console.js).
    files: ['services/all-in-one/public/console.js'],
    languageOptions: { globals: { Talk: 'readonly', talkAudioEvent: 'readonly', createPlayer: 'readonly', localStorage: 'readonly' } },
  },
  {
    files: ['services/all-in-one/public/console-players.js'],
    rules: { '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^createPlayer$', argsIgnorePattern: '^_' }] },
  },
  {
    files: ['services/all-in-one/public/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(['window', 'document', 'navigator', 'performance', 'fetch', 'EventSource', 'Element', 'RTCPeerConnection', 'MediaStream', 'Hls', 'mpegts', 'location'].map((g) => [g, 'readonly'])),
    },
  },
);

// @ts-check
// `npm run lint` (ESLint part). Type-aware: typescript-eslint's recommendedTypeChecked set, which is the one
// that finds bugs a compiler does not (floating and misused promises, awaiting non-promises, "[object Object]"
// in strings, unsafe `any`, methods detached from their object), plus a few bug-finding rules of our own.
// Formatting is Prettier's job (`prettier --check`, same script); no rule here is about layout.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Where the code that ships lives, and what it may never import (the build copies only src/). */
const SHIPPED = ['src/**/*.ts'];
/** Code that runs outside the test suite: it must not depend on the tests. */
const NOT_TESTS = ['src/**/*.ts', 'standins/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'];

const TEST_IMPORT = 'Import from standins/ (or move the helper there): nothing outside test/ imports from test/.';
const SHIPPED_IMPORT = 'src/ is built and shipped on its own: it imports no tests, stand-ins, scripts or benchmarks.';

/**
 * no-restricted-imports only sees static imports; this catches `await import('…')` of the same paths.
 * @param {string} pattern a regular expression literal as esquery reads it (no "/" inside: write \x2F)
 * @param {string} message
 */
function noDynamicImportOf(pattern, message) {
  return { selector: `ImportExpression > Literal[value=${pattern}]`, message };
}

export default defineConfig(
  {
    ignores: [
      'node_modules/',
      'dist/',
      '.bench-dist-*/',
      '.test-dist-*/',
      '.tools/',
      'coverage/',
      '.sandbox/',
      'bench/results.json',
      'bench/profiles/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // An underscore marks a parameter or binding that is there on purpose (Express's 4-argument error
      // handler, `{ secret: _drop, ...rest }` to leave a field out).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // `async` without `await` is how we implement a Promise-returning interface (the store port, the
      // oidc-provider adapter) and turns a synchronous throw into a rejection; the rule finds no bugs here.
      // The promise rules that do (no-floating-promises, no-misused-promises, await-thenable) stay on.
      '@typescript-eslint/require-await': 'off',
      // Reports assertions that do not change a type; on this tree it misjudged evolving `let` variables and
      // `??` chains, and its autofix broke the typecheck. A stale assertion is clutter, not a bug.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // A `try { return promise } catch {}` that skips its own catch/finally is a bug; elsewhere `return await`
      // is a matter of taste, so only the correctness case is checked.
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
      // A switch over a union without a `default` must name every member, so adding one (an error kind, a
      // store kind) shows every place that has to handle it.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // Nothing outside test/ depends on the tests: the sandbox, the bench and the scripts use standins/.
    files: NOT_TESTS,
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/test/**'], message: TEST_IMPORT }] }],
      'no-restricted-syntax': ['error', noDynamicImportOf('/(^|\\x2F)test\\x2F/', TEST_IMPORT)],
    },
  },
  {
    // The production code is built alone (tsconfig.build.json, Dockerfile): it imports none of the tools around it.
    files: SHIPPED,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/test/**', '**/standins/**', '**/scripts/**', '**/bench/**'], message: SHIPPED_IMPORT },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        noDynamicImportOf('/(^|\\x2F)(test|standins|scripts|bench)\\x2F/', SHIPPED_IMPORT),
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Chai's property assertions (`expect(x).to.be.a('string').and.not.empty`) are expression statements.
      '@typescript-eslint/no-unused-expressions': 'off',
      // Tests read JSON they just received (`JSON.parse(body).error`): a wrong guess about its shape throws and
      // fails the test, so `any` cannot hide a bug there the way it can in the server.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // Tests save a method to put it back after replacing it (`const original = obj.method; … obj.method = original`).
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Plain JavaScript (this file, bench/hello.mjs): not part of a TypeScript project, so no type information.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);

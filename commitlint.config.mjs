/**
 * Commit messages (docs/adding-a-service.md, "Commits"): a subject of at most 72 characters, a blank
 * line, then a body that says why and gives any figures. No type prefixes are required: subjects
 * name the part they change ("gateway: …") in plain words. CI checks every commit since the rule
 * began (.ci/run); `git config core.hooksPath .githooks` checks each one as it is written.
 */
export default {
  rules: {
    'header-max-length': [2, 'always', 72],
    'header-trim': [2, 'always'],
    'header-min-length': [2, 'always', 10],
    'body-leading-blank': [2, 'always'],
    'body-empty': [2, 'never'],
    'body-max-line-length': [2, 'always', 100],
  },
};

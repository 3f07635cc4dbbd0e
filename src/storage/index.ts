/** The storage interface only; concrete backends are chosen by src/cmd (see README.md). */
export * from './storage.js';

/** Convenience entry point: the Table printers live in ./tables/ (this re-exports them). */
export * from './tables/index.js';

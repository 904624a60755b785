declare module 'vitest' {
  export interface ProvidedContext {
    /** URL prefix of ../shared/media in browser tests. */
    sharedMedia: string;
  }
}
export {};

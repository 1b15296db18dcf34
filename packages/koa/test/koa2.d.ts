// Koa 2 ships no types (and `@types/koa@2` cannot sit beside Koa 3's in one program): the alias is
// typed as Koa 3's class, which is what the conformance adapter takes.
declare module 'koa2' {
  export { default } from 'koa'
}

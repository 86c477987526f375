// The entry of every worker thread in pool.ts. It is plain JavaScript so that it loads before
// TypeScript can: it registers tsx (as `node --import tsx` does for the server), then imports the
// task module it is asked for, once per thread, and hands back its bytes without copying them.
import { register } from 'tsx/esm/api'
import { move } from 'piscina'

register()
const modules = new Map()

export default async function run({ task, input }) {
  if (!modules.has(task)) modules.set(task, import(task))
  const out = await (await modules.get(task)).default(input)
  // a small Buffer lives inside Node's shared pool: moving that would detach the pool, so copy it
  const own = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : new Uint8Array(out)
  return move(own)
}

// A small pool of render workers per app: two threads at most (the 2-core machine keeps one core
// for requests), started on the first report and let go after five idle minutes. A queue longer
// than MAX_QUEUE answers 503 rather than piling work up behind a burst of downloads.
import { Piscina } from 'piscina'
import { HttpError } from '../http/errors.ts'
import type { RenderTask } from './render.worker.ts'

const MAX_QUEUE = 16

export class RenderPool {
  private pool: Piscina | null = null

  run<T extends Buffer | number>(task: RenderTask, transferList?: readonly Transferable[]): Promise<T> {
    this.pool ??= new Piscina({
      filename: new URL('./render.worker.ts', import.meta.url).href,
      minThreads: 0, maxThreads: 2, idleTimeout: 300_000, maxQueue: MAX_QUEUE,
    })
    if (this.pool.queueSize >= MAX_QUEUE) {
      return Promise.reject(new HttpError(503, 'busy', 'too many reports are being prepared; please retry shortly'))
    }
    return this.pool.run(task, transferList ? { transferList: transferList as never } : undefined) as Promise<T>
  }

  async close() {
    const pool = this.pool
    this.pool = null
    await pool?.destroy()
  }
}

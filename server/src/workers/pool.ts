// One pool of worker threads for the work that would hold the event loop for seconds: job-sheet
// PDFs, report files. A task is a TypeScript module whose default export takes plain data
// (anything structured clone carries: objects, arrays, Dates) and returns the file's bytes.
// Workers start on the first task, not with the server, and leave after a minute without work.
import { Piscina } from 'piscina'
import { availableParallelism } from 'node:os'
import { HttpError } from '../http/errors.ts'

export type WorkerTask<I> = (input: I) => Promise<Uint8Array> | Uint8Array

// the main thread keeps a core for answering requests
const THREADS = Math.max(1, Math.min(4, availableParallelism() - 1))
// tasks waiting beyond this are refused rather than piling up in memory
const QUEUE = 32

let pool: Piscina | null = null

function workers() {
  pool ??= new Piscina({
    filename: new URL('./worker.mjs', import.meta.url).href,
    minThreads: 0,
    maxThreads: THREADS,
    idleTimeout: 60_000,
    maxQueue: QUEUE,
    // a worker registers tsx itself: the parent's --import cannot install a loader in a worker on Node 20
    execArgv: process.execArgv.filter((arg, i, all) => !arg.startsWith('--import') && all[i - 1] !== '--import'),
  })
  return pool
}

/**
 * Runs `task` (the URL of a module whose default export is a WorkerTask) on a worker thread with
 * `input`, and gives back what it returned. When every worker is busy and the queue is full, a 503.
 */
export async function runInWorker<I>(task: URL, input: I, options: { signal?: AbortSignal; transferList?: Transferable[] } = {}): Promise<Buffer> {
  const p = workers()
  if (p.queueSize >= QUEUE) throw busy()
  // transferList: a MessagePort in `input` (a task fed as it goes, such as a long export)
  const bytes: Uint8Array = await p.run({ task: task.href, input }, { signal: options.signal, transferList: options.transferList as never })
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

const busy = () => new HttpError(503, 'busy', '服务器正忙，请稍后重试', undefined, { messageEn: 'the server is busy with other files; please retry shortly', retryAfter: 2 })

/** Ends the worker threads (tests, shutdown); the next task starts new ones. */
export async function closeWorkers() {
  const p = pool
  pool = null
  await p?.destroy()
}

// The Perl SMSC (tests/fixtures/smsc/smsc.pl, Debian's Net::SMPP) as a child process: what it
// received, line by line, and commands for it (a reply from a phone, a receipt, dropping clients).
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const SCRIPT = fileURLToPath(new URL('../fixtures/smsc/smsc.pl', import.meta.url))

export interface SmscRecord { cmd: string; [key: string]: string | number }

export async function startSmsc(args: string[] = []) {
  const child: ChildProcess = spawn('perl', [SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  const records: SmscRecord[] = []
  const waiters: { match: (r: SmscRecord) => boolean; resolve: (r: SmscRecord) => void }[] = []
  let stderr = ''
  child.stderr!.on('data', (c) => { stderr += c })
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      const listening = /^listening (\d+)/.exec(line)
      if (listening) { resolve(Number(listening[1])); return }
      if (!line.startsWith('{')) return
      const record = JSON.parse(line) as SmscRecord
      records.push(record)
      for (const w of [...waiters]) if (w.match(record)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(record) }
    })
    child.once('exit', (code) => reject(new Error(`smsc.pl exited ${code}: ${stderr}`)))
  })
  return {
    port, records,
    url: (user = 'hotline', password = 'secret', query = '') => `smpp://${user}:${password}@127.0.0.1:${port}${query}`,
    submits: () => records.filter((r) => r.cmd === 'submit_sm'),
    waitFor(match: (r: SmscRecord) => boolean, timeoutMs = 5000): Promise<SmscRecord> {
      const seen = records.find(match)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the SMSC saw nothing matching within ${timeoutMs} ms`)), timeoutMs)
        waiters.push({ match, resolve: (r) => { clearTimeout(timer); resolve(r) } })
      })
    },
    /** a reply from a phone, as UCS-2 */
    mo(from: string, to: string, text: string) { child.stdin!.write(`mo ${from} ${to} ${Buffer.from(text, 'utf16le').swap16().toString('hex')}\n`) },
    receipt(id: string, stat: string) { child.stdin!.write(`receipt ${id} ${stat}\n`) },
    dropClients() { child.stdin!.write('close\n') },
    stop() { child.kill('SIGTERM') },
  }
}
export type Smsc = Awaited<ReturnType<typeof startSmsc>>

// Debian's Kannel as the HTTP gateway's peer: bearerbox with a fake SMSC, smsbox serving sendsms,
// and kannel-extras' fakesmsc playing the phone network (it prints what reaches phones and sends
// a reply). Loopback only, ports picked free, everything in a temporary folder.
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const FAKESMSC = '/usr/lib/kannel/test/fakesmsc'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)) })
    s.once('error', reject)
  })
}

async function waitForPort(port: number, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false)
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`Kannel did not open port ${port}`)
}

/** `moUrl`: our MO callback with the secret; Kannel appends nothing, so the escapes are in it. */
export async function startKannel(moUrl: string) {
  const dir = mkdtempSync(join(tmpdir(), 'kannel-'))
  const [admin, box, fake, sendsms] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
  const conf = join(dir, 'kannel.conf')
  writeFileSync(conf, `group = core
admin-port = ${admin}
admin-password = test
admin-interface = 127.0.0.1
smsbox-port = ${box}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "${dir}/bearerbox.log"
log-level = 1
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = ${fake}
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = ${sendsms}
sendsms-interface = 127.0.0.1
log-file = "${dir}/smsbox.log"
log-level = 1

group = sendsms-user
username = hotline
password = kannel-pw
concatenation = true
max-messages = 10

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "${moUrl}&from=%p&to=%P&text=%a"
`)
  const children: ChildProcess[] = []
  const run = (cmd: string, args: string[]) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    return child
  }
  run('bearerbox', ['-v', '1', conf])
  await new Promise((r) => setTimeout(r, 500))
  run('smsbox', ['-v', '1', conf])
  await waitForPort(sendsms)
  let phoneLog = ''
  return {
    sendsmsUrl: `http://127.0.0.1:${sendsms}/cgi-bin/sendsms?username=hotline&password=kannel-pw`,
    /** the phone network: what it received so far, and a reply it sends when it connects */
    connectPhones(reply: { from: string; to: string; text: string }) {
      const child = run(FAKESMSC, ['-H', '127.0.0.1', '-r', String(fake), '-i', '0.5', '-m', '1', `${reply.from} ${reply.to} text ${reply.text}`])
      child.stderr!.on('data', (c) => { phoneLog += c })
      child.stdout!.on('data', (c) => { phoneLog += c })
    },
    /** "Got message N: <from to coding text>" lines fakesmsc printed */
    received: () => [...phoneLog.matchAll(/Got message \d+: <([^>]*)>/g)].map((x) => x[1]!),
    logs: () => ['bearerbox.log', 'smsbox.log'].map((f) => { try { return readFileSync(join(dir, f), 'utf8').slice(-2000) } catch { return '' } }).join('\n'),
    async stop() {
      for (const c of children.reverse()) c.kill('SIGTERM')
      await new Promise((r) => setTimeout(r, 300))
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

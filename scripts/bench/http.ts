// A lean HTTP/1.1 client for the load loops: one keep-alive socket, one request at a time. The
// load generator shares the machine's two cores with the server and PostgreSQL, and fetch (undici)
// spent as much CPU per request as the server did; this spends a small fraction of it.
import net from 'node:net'

export interface RawResponse { status: number; body: string }

export class KeepAliveConnection {
  private socket: net.Socket
  private buffer: Buffer = Buffer.alloc(0)
  private pending: { resolve: (r: RawResponse) => void; reject: (e: Error) => void } | null = null

  constructor(private readonly host: string, private readonly port: number) {
    this.socket = net.connect(port, host)
    this.socket.setNoDelay(true)
    this.socket.on('data', (chunk) => this.onData(chunk))
    this.socket.on('error', (err) => this.fail(err))
    this.socket.on('close', () => this.fail(new Error('connection closed')))
  }

  static fromUrl(base: string) {
    const u = new URL(base)
    return new KeepAliveConnection(u.hostname, Number(u.port))
  }

  request(method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawResponse> {
    if (this.pending) throw new Error('one request at a time')
    const payload = body === undefined ? '' : body
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n`
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`
    if (body !== undefined) head += `content-length: ${Buffer.byteLength(payload)}\r\n`
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject }
      this.socket.write(head + '\r\n' + payload)
    })
  }

  close() { this.socket.destroy() }

  private onData(chunk: Buffer) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk
    const end = this.buffer.indexOf('\r\n\r\n')
    if (end < 0 || !this.pending) return
    const head = this.buffer.subarray(0, end).toString('latin1')
    if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return this.fail(new Error('chunked responses are not supported here'))
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
    if (this.buffer.length < end + 4 + length) return
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8')
    this.buffer = this.buffer.subarray(end + 4 + length)
    const { resolve } = this.pending
    this.pending = null
    resolve({ status: Number(head.slice(9, 12)), body })
  }

  private fail(err: Error) {
    const p = this.pending
    this.pending = null
    p?.reject(err)
  }
}

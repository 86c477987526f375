// A real, short WAV file for the simulator's recordings: 8 kHz mono 16-bit PCM, a soft two-tone
// chime, so a browser's player has something to play and seek in.
export function chimeWav(seconds = 1.5, rate = 8000): Buffer {
  const samples = Math.round(seconds * rate)
  const data = Buffer.alloc(samples * 2)
  for (let i = 0; i < samples; i++) {
    const t = i / rate
    const tone = t < seconds / 2 ? 660 : 880
    const envelope = Math.min(1, t * 20, (seconds - t) * 20)
    data.writeInt16LE(Math.round(Math.sin(2 * Math.PI * tone * t) * 8000 * envelope), i * 2)
  }
  const header = Buffer.alloc(44)
  header.write('RIFF', 0); header.writeUInt32LE(36 + data.length, 4); header.write('WAVE', 8)
  header.write('fmt ', 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(1, 22)
  header.writeUInt32LE(rate, 24); header.writeUInt32LE(rate * 2, 28); header.writeUInt16LE(2, 32); header.writeUInt16LE(16, 34)
  header.write('data', 36); header.writeUInt32LE(data.length, 40)
  return Buffer.concat([header, data])
}

/**
 * Where a recording named by an AMI client may be written: a plain file name, or a path inside the
 * PBX's spool. Anything else — `..`, other directories, NUL, empty — is refused (null), so a MixMonitor
 * action can never make the simulator write outside `dir` or onto a directory.
 */
export function recordingPath(dir: string, file: string, spool = '/var/spool/asterisk/monitor'): string | null {
  if (!file || file.includes('\0') || file.includes('\\')) return null
  const name = file.startsWith(`${spool}/`) ? file.slice(spool.length + 1) : file
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(name) || name.includes('..')) return null
  return `${dir.replace(/\/+$/, '')}/${name}`
}

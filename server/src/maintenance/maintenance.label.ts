// The label stuck on an asset (a lift, the chiller): its QR code, then its name, code and place, at
// 60 × 40 mm. SVG, so it prints sharp from any browser and needs no font of ours; the text is escaped.
import QRCode from 'qrcode'

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
/** cut to fit the label's width (about 16 CJK characters at this size) */
const fit = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

export async function assetLabel(a: { code: string; name: string; place: string; url: string }): Promise<string> {
  const qr = await QRCode.toString(a.url, { type: 'svg', margin: 0, errorCorrectionLevel: 'M' })
  const inner = qr.replace(/^[\s\S]*?<svg[^>]*viewBox="([^"]+)"[^>]*>/, '<svg x="3" y="3" width="34" height="34" viewBox="$1">')
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="60mm" height="40mm" viewBox="0 0 60 40" font-family="'Noto Sans SC','WenQuanYi Zen Hei','Microsoft YaHei',sans-serif">
  <rect x="0.25" y="0.25" width="59.5" height="39.5" rx="2" fill="#fff" stroke="#000" stroke-width="0.5"/>
  ${inner}
  <text x="39" y="8" font-size="3.2" font-weight="700">${escape(fit(a.name, 8))}</text>
  <text x="39" y="14" font-size="3" font-family="monospace">${escape(fit(a.code, 12))}</text>
  <text x="39" y="20" font-size="2.4">${escape(fit(a.place, 10))}</text>
  <text x="39" y="34" font-size="2.2">扫码查看维护计划</text>
  <text x="39" y="37" font-size="2.2">100 后勤服务热线</text>
</svg>
`
}

// Click-to-dial, for the desk's button and the callback dialer alike: the user's own phone rings
// first, then the PBX dials the number. The call row exists before the PBX hears of it, so every
// event it reports finds its call; when the PBX refuses, nothing is left behind.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { Config } from '../config.ts'
import { HttpError } from '../http/errors.ts'
import { normaliseNumber, type TelephonyPort } from './port.ts'

/** The PBX cannot take a call now: the desk dials by hand and logs the call (POST /api/calls). */
export const pbxDown = () => new HttpError(503, 'pbx_down', '电话系统未连接：请手动拨号并登记通话', undefined, { messageEn: 'the phone system is not connected; dial by hand and log the call', retryAfter: 5 })

export const noPhoneDevice = () => new HttpError(400, 'no_phone_device', '您的账号没有绑定话机，无法先呼您的话机（请管理员设置 phoneDevice）', 'phoneDevice', { messageEn: 'your account has no phone device to ring first (admin: set phoneDevice)' })

/** The digits the outbound dialplan expects (+86 138…, 0086 …, 0571-8… written as the PBX dials them), or an error naming the field. */
export function dialable(number: string, field = 'number'): string {
  const dial = normaliseNumber(number)
  if (!/^[0-9]{3,20}$/.test(dial)) throw new HttpError(400, 'undialable_number', `号码 ${number} 无法拨打：只能拨打 3–20 位数字`, field, { messageEn: `${number} cannot be dialled: 3 to 20 digits expected` })
  return dial
}

export interface PlaceCall { userId: number; device: string | null; number: string; workOrderId?: number | null }

/** Records the call and asks the PBX to place it; its events then update the row (calls.service). */
export async function placeCall(db: Kysely<DB>, telephony: TelephonyPort | null, config: Config, p: PlaceCall): Promise<{ callId: number }> {
  if (!telephony || telephony.status() !== 'up') throw pbxDown()
  if (!p.device) throw noPhoneDevice()
  const dial = dialable(p.number)
  const call = await db.insertInto('call').values({
    direction: 'out', caller_number: p.device, callee_number: dial, operator_user_id: p.userId, operator_device: p.device,
    state: 'dialing', work_order_id: p.workOrderId ?? null, created_by: p.userId,
  }).returning('id').executeTakeFirstOrThrow()
  try {
    await telephony.originate({ reference: `call-${call.id}`, device: p.device, number: dial, context: config.outboundContext, callerId: `Hotline 100 <${config.hotlineExten}>` })
  } catch {
    // the PBX refused or went away between the check and the action: no call, nothing half-recorded
    await db.deleteFrom('call').where('id', '=', call.id).execute()
    throw pbxDown()
  }
  return { callId: call.id }
}

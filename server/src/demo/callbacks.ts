// The demo hospital's callback desk (回访): clinical departments, the HIS's codes, question templates
// in Chinese, rules as the hospital's design has them (surgery 3 days, chronic internal medicine
// 7 days, obstetrics 14 days) and a week of discharges sent through the same intake as the HIS's.
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { TemplateQuestion } from '../db/types.callbacks.ts'
import { applyRecords } from '../discharges/intake.ts'
import { checkRecord } from '../discharges/record.ts'
import { callbackPlanner } from '../callbacks/plan.ts'

export const DEPARTMENTS = [
  ['GK', '骨科', 'Orthopaedics'], ['PWK', '普外科', 'General Surgery'], ['XNK', '心内科', 'Cardiology'],
  ['NFMK', '内分泌科', 'Endocrinology'], ['FCK', '妇产科', 'Obstetrics & Gynaecology'], ['HXK', '呼吸科', 'Respiratory Medicine'],
] as const

const q = (key: string, text: string, kind: TemplateQuestion['kind'], extra: Partial<TemplateQuestion> = {}): TemplateQuestion => ({ key, text, kind, required: true, ...extra })
const SATISFACTION = q('satisfaction', '您对住院期间的医护服务满意吗？（1–5 分）', 'scale', { feedbackClass: 'service' })

const TEMPLATES: { name: string; department: string | null; opening: string; questions: TemplateQuestion[] }[] = [
  { name: '骨科术后回访', department: 'GK', opening: '{称呼}您好，我是骨科的回访客服，您出院 {天数} 天了，{手术}后伤口还疼吗？有没有按照{医生}说的做踝泵运动？', questions: [
    q('wound', '伤口有没有渗液、红肿或出血？', 'yes_no', { urgentWhen: ['是'], feedbackClass: 'medical' }),
    q('pain', '现在疼痛程度如何？（1 不痛 – 5 很痛）', 'scale', { urgentWhen: ['5'] }),
    q('rehab', '康复训练是否每天按要求在做？', 'choice', { options: ['每天都做', '有时做', '没有做'] }),
    q('fever', '有没有发热超过 38.5℃？', 'yes_no', { urgentWhen: ['是'], feedbackClass: 'medical' }),
    q('nurse', '对护士的服务评价（1–5 分）', 'scale', { feedbackClass: 'service' }),
    SATISFACTION,
  ] },
  { name: '普外科术后回访', department: 'PWK', opening: '{称呼}您好，我是普外科的回访客服，您{手术}后出院 {天数} 天了，想了解一下您的恢复情况。', questions: [
    q('wound', '伤口有没有渗液、红肿或出血？', 'yes_no', { urgentWhen: ['是'], feedbackClass: 'medical' }),
    q('fever', '有没有发热超过 38.5℃？', 'yes_no', { urgentWhen: ['是'], feedbackClass: 'medical' }),
    q('diet', '饮食和排便是否正常？', 'yes_no'),
    SATISFACTION,
  ] },
  { name: '内科慢病回访', department: null, opening: '{称呼}您好，我是{科室}的回访客服，您出院 {天数} 天了，药按时吃了吗？', questions: [
    q('medication', '出院带的药是否按时按量在吃？', 'choice', { options: ['按时吃', '偶尔漏服', '已停药'], feedbackClass: 'medical' }),
    q('symptoms', '症状比出院时好些了吗？', 'choice', { options: ['好转', '差不多', '加重'], urgentWhen: ['加重'] }),
    q('guidance', '医生对用药的讲解您清楚吗？（1–5 分）', 'scale', { feedbackClass: 'medical' }),
    q('other', '还有什么需要我们帮您转达的？', 'text', { required: false }),
    SATISFACTION,
  ] },
  { name: '内分泌科糖尿病回访', department: 'NFMK', opening: '{称呼}您好，我是内分泌科的回访客服，您出院 {天数} 天了，最近血糖控制得怎么样？', questions: [
    q('medication', '降糖药或胰岛素是否按时使用？', 'choice', { options: ['按时', '偶尔漏用', '已停用'], feedbackClass: 'medical' }),
    q('glucose', '每天有没有监测血糖？', 'yes_no'),
    q('hypo', '有没有出现心慌、出冷汗等低血糖症状？', 'yes_no', { urgentWhen: ['是'], feedbackClass: 'medical' }),
    q('diet', '饮食是否按出院指导控制？', 'yes_no'),
    SATISFACTION,
  ] },
  { name: '产后回访', department: 'FCK', opening: '{称呼}您好，我是妇产科的回访客服，您出院 {天数} 天了，宝宝和您都还好吗？', questions: [
    q('milk', '乳汁是否充足？喂养顺利吗？', 'choice', { options: ['充足', '一般', '不足'] }),
    q('wound', '伤口恢复得怎么样？有没有红肿、渗液？', 'yes_no', { urgentWhen: ['是'], feedbackClass: 'medical' }),
    q('lochia', '恶露是否正常？有没有大量出血？', 'yes_no', { urgentWhen: ['是'], feedbackClass: 'medical' }),
    q('mood', '最近心情怎么样？（1 很差 – 5 很好）', 'scale'),
    SATISFACTION,
  ] },
]

const WINDOWS = JSON.stringify([{ from: '09:00', to: '11:30' }, { from: '14:30', to: '20:00' }])

export async function seedCallbackDemo(trx: Transaction<DB>) {
  const departments = await trx.insertInto('department').values(DEPARTMENTS.map(([code, name, nameEn]) => ({ code, name, name_en: nameEn }))).returning(['id', 'code']).execute()
  const dept = Object.fromEntries(departments.map((d) => [d.code, d.id])) as Record<string, number>
  // the demo HIS sends its own codes: 0301 for 骨科 … and dispositions as in HL7 table 0112
  await trx.insertInto('his_code_map').values([
    ...[['0301', 'GK'], ['0302', 'PWK'], ['0201', 'XNK'], ['0202', 'NFMK'], ['0401', 'FCK'], ['0203', 'HXK']].map(([code, d]) => ({ kind: 'department' as const, code: code!, department_id: dept[d!]!, disposition: null, note: null })),
    ...[['01', 'home', '出院回家'], ['02', 'transferred', '转院'], ['07', 'other', '自动出院'], ['20', 'died', '死亡']].map(([code, disposition, note]) => ({ kind: 'disposition' as const, code: code!, department_id: null, disposition: disposition as 'home', note: note! })),
  ]).execute()
  const templates: Record<string, number> = {}
  for (const t of TEMPLATES) {
    const row = await trx.insertInto('callback_template').values({ name: t.name, department_id: t.department ? dept[t.department]! : null, opening: t.opening, questions: JSON.stringify(t.questions) }).returning('id').executeTakeFirstOrThrow()
    templates[t.name] = row.id
  }
  const rule = (d: string, position: number, name: string, scenario: string, dayOffset: number, template: string, extra: Record<string, unknown> = {}) => ({
    department_id: dept[d]!, position, name, scenario, day_offset: dayOffset, template_id: templates[template]!, windows: WINDOWS, ...extra,
  })
  await trx.insertInto('callback_rule').values([
    rule('GK', 10, '骨科术后 3 天', '术后', 3, '骨科术后回访', { is_default: true, priority: 2 }),
    rule('PWK', 10, '普外科术后 3 天', '术后', 3, '普外科术后回访', { is_default: true, priority: 2 }),
    rule('XNK', 10, '心内科慢病 7 天', '慢病', 7, '内科慢病回访', { is_default: true }),
    rule('NFMK', 10, '糖尿病 7 天', '慢病', 7, '内分泌科糖尿病回访', { match_codes: ['E10', 'E11', 'E14'], match_keywords: ['糖尿病'] }),
    rule('NFMK', 20, '内分泌科出院 7 天', '慢病', 7, '内科慢病回访', { is_default: true }),
    rule('FCK', 10, '产后 14 天', '产后', 14, '产后回访', { is_default: true, priority: 2 }),
    rule('HXK', 10, '呼吸科慢病 7 天', '慢病', 7, '内科慢病回访', { is_default: true }),
  ]).execute()
  const agent = await trx.selectFrom('app_user').select('id').where('username', '=', 'agent').executeTakeFirst()
  if (agent) await trx.insertInto('department_agent').values(departments.map((d) => ({ department_id: d.id, user_id: agent.id }))).execute()
}

const SURNAMES = '王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗'
const GIVEN = ['秀英', '建国', '桂兰', '志强', '淑珍', '海燕', '国华', '丽娟', '明', '静', '伟', '芳', '军', '敏']
const CASES: [string, string, string][] = [
  ['0301', '81.51', '全髋关节置换术'], ['0301', '79.35', '股骨骨折切开复位内固定术'], ['0302', '47.01', '腹腔镜阑尾切除术'], ['0302', '51.23', '腹腔镜胆囊切除术'],
  ['0201', 'I20.0', '不稳定型心绞痛'], ['0201', 'I10', '高血压病'], ['0202', 'E11.9', '2型糖尿病'], ['0202', 'E05.0', '甲状腺功能亢进症'],
  ['0401', '74.1', '子宫下段剖宫产术'], ['0401', 'O80', '自然分娩'], ['0203', 'J44.1', '慢性阻塞性肺病急性加重'], ['0203', 'J18.9', '肺炎'],
]

/** A week of discharges (8 a day) as the HIS would have sent them, through the intake. */
export async function seedDemoDischarges(db: Kysely<DB>, timeZone: string) {
  const records = []
  const now = Date.now()
  for (let n = 0; n < 56; n++) {
    const day = Math.floor(n / 8)
    const [dept, code, text] = CASES[n % CASES.length]!
    const surgical = /^\d/.test(code)
    const female = dept === '0401' || n % 2 === 0
    const discharged = new Date(now - day * 86_400_000 - (n % 8) * 3_600_000)
    const raw = {
      source: 'HIS', event: 'A03', visitNumber: `ZY${String(2026000100 + n)}`, mrn: `MRN${String(800100 + n)}`,
      name: `${SURNAMES[n % SURNAMES.length]}${GIVEN[n % GIVEN.length]}`, sex: female ? 'F' : 'M',
      birthDate: `${dept === '0401' ? 1994 - (n % 8) : 1946 + (n * 7) % 40}-0${1 + (n % 9)}-1${n % 10}`,
      phones: n % 13 === 5 ? [] : [{ use: 'mobile', number: `13${String(800000000 + n * 7919).slice(0, 9)}` }, ...(n % 3 === 0 ? [{ use: 'relative', number: `0571-8${String(6000000 + n).slice(1)}` }] : [])],
      department: dept, ward: `${['骨科', '普外科', '心内科', '内分泌科', '妇产科', '呼吸科'][['0301', '0302', '0201', '0202', '0401', '0203'].indexOf(dept)]}一病区`, bed: String(1 + (n % 40)),
      attendingDoctor: `${SURNAMES[(n + 5) % SURNAMES.length]}医生`, responsibleNurse: `${SURNAMES[(n + 9) % SURNAMES.length]}护士`, patientClass: 'I',
      admittedAt: new Date(discharged.getTime() - (3 + (n % 6)) * 86_400_000).toISOString(), dischargedAt: discharged.toISOString(), disposition: '01',
      diagnoses: surgical ? [] : [{ code, text }], procedures: surgical ? [{ code, text, performedAt: '' }] : [],
    }
    records.push({ index: n + 1, record: checkRecord(raw, { source: 'HIS', origin: 'demo', timeZone }) })
  }
  await applyRecords(db, records, callbackPlanner(timeZone))
}

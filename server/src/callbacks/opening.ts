// The opening of a callback, filled from the stay: «王阿姨，我是骨科的客服小周，您出院 3 天了…»

export interface OpeningFacts {
  name: string; sex: string; birthDate: string | null; department: string | null; dayOffset: number
  doctor: string | null; procedure: string | null; diagnosis: string | null
}

/** How the desk addresses a patient: surname and 阿姨/叔叔 from 50, else 女士/先生. */
export function honorific(name: string, sex: string, birthDate: string | null, at = new Date()): string {
  const surname = /^[\u3400-\u9fff]/.test(name) ? name.slice(0, 1) : name
  const age = birthDate ? at.getUTCFullYear() - Number(birthDate.slice(0, 4)) : null
  if (sex === 'F') return `${surname}${age !== null && age >= 50 ? '阿姨' : '女士'}`
  if (sex === 'M') return `${surname}${age !== null && age >= 50 ? '叔叔' : '先生'}`
  return name
}

export function fillOpening(template: string, f: OpeningFacts): string {
  const values: Record<string, string> = {
    称呼: honorific(f.name, f.sex, f.birthDate), 姓名: f.name, 科室: f.department ?? '', 天数: String(f.dayOffset),
    医生: f.doctor ?? '主治医生', 手术: f.procedure ?? '治疗', 诊断: f.diagnosis ?? '',
  }
  return template.replace(/\{(称呼|姓名|科室|天数|医生|手术|诊断)\}/g, (_, key: string) => values[key] ?? '')
}

// Message catalogues: Chinese first, English on request; the choice is remembered per browser.
import { zh, type Messages } from './zh'
import { en } from './en'

type Locale = 'zh' | 'en'
const catalogues: Record<Locale, Messages> = { zh, en }
const stored = typeof localStorage !== 'undefined' ? localStorage.getItem('hotline.locale') : null

export const i18n = $state<{ locale: Locale }>({ locale: stored === 'en' ? 'en' : 'zh' })

export function setLocale(locale: Locale) {
  i18n.locale = locale
  localStorage.setItem('hotline.locale', locale)
  document.documentElement.lang = locale === 'zh' ? 'zh-CN' : 'en'
}

/** The current catalogue: `m().desk.title` */
export const m = (): Messages => catalogues[i18n.locale]

/** A name in the current language, falling back to Chinese. */
export const named = (o: { name: string; nameEn?: string | null } | null | undefined) => (o ? (i18n.locale === 'en' && o.nameEn) || o.name : '')

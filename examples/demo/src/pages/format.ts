const FULL = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' })
const THIS_YEAR = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' })
const OTHER_YEAR = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' })

/** "Nov 28, 2025, 4:10 AM", for tooltips. */
export function formatFullDate(date: Date): string {
  return FULL.format(date)
}

/** "Nov 28, 4:10 AM" this year, "Nov 28, 2024" before. */
export function formatDate(date: Date, now = Date.now()): string {
  return date.getFullYear() === new Date(now).getFullYear() ? THIS_YEAR.format(date) : OTHER_YEAR.format(date)
}

/** "just now", "5 min ago", "3 h ago", else the date. */
export function formatAgo(date: Date, now: number): string {
  const seconds = Math.round((now - date.getTime()) / 1000)
  if (seconds < 60) return 'just now'
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  return formatDate(date, now)
}

/**
 * How long until `date`, in one consistent, humanized unit: "in under a minute", "in 1 min" …
 * "in 59 min", "in 1 h" … "in 47 h", then "in 2 days" and on. The amount is rounded to its unit
 * first, so the same span always reads the same (24 hours is "in 24 h", a second before or after).
 */
export function formatIn(date: Date, now: number): string {
  const seconds = Math.max(0, (date.getTime() - now) / 1000)
  if (seconds < 60) return 'in under a minute'
  const minutes = Math.round(seconds / 60)
  if (minutes < 60) return `in ${minutes} min`
  const hours = Math.round(seconds / 3600)
  if (hours < 48) return `in ${hours} h`
  return `in ${Math.round(seconds / 86_400)} days`
}

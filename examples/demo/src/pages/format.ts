const DATE = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' })

/** "Nov 28, 2025, 4:10 AM". */
export function formatDate(date: Date): string {
  return DATE.format(date)
}

/** "just now", "5 min ago", "3 h ago", else the date. */
export function formatAgo(date: Date, now: number): string {
  const seconds = Math.round((now - date.getTime()) / 1000)
  if (seconds < 60) return 'just now'
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  return formatDate(date)
}

/** "in 59 min", "in 23 h", "in 6 days". */
export function formatIn(date: Date, now: number): string {
  const seconds = Math.max(0, Math.round((date.getTime() - now) / 1000))
  if (seconds < 60) return 'in under a minute'
  if (seconds < 3600) return `in ${Math.ceil(seconds / 60)} min`
  if (seconds < 86_400) return `in ${Math.round(seconds / 3600)} h`
  return `in ${Math.round(seconds / 86_400)} days`
}

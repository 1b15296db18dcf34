/** `editableOwnerSettings`: which owner settings a request may change through `PUT /owner`. */

/** The settings of an owner (`keyward.owners.set`) that `PUT /owner` can change. */
export type OwnerSettingName = 'rateLimits' | 'credits' | 'maxKeys' | 'scopes' | 'allowedIps'

export const OWNER_SETTING_NAMES: readonly OwnerSettingName[] = ['rateLimits', 'credits', 'maxKeys', 'scopes', 'allowedIps']

function checked(names: unknown, where: string): ReadonlySet<OwnerSettingName> {
  if (!Array.isArray(names) || !names.every((name) => OWNER_SETTING_NAMES.includes(name)))
    throw new TypeError(`${where} must be a list of owner settings from ${OWNER_SETTING_NAMES.join(', ')}`)
  return new Set(names as OwnerSettingName[])
}

const NONE: ReadonlySet<OwnerSettingName> = new Set()

/**
 * The option as a function of the request: a fixed list is checked now (`TypeError`); a function's
 * answer when called, where a throw, a rejection or a malformed answer grants nothing.
 */
export function resolveEditable<R>(
  option: readonly OwnerSettingName[] | ((request: R) => readonly OwnerSettingName[] | Promise<readonly OwnerSettingName[]>) | undefined,
): (request: R) => Promise<ReadonlySet<OwnerSettingName>> {
  if (option === undefined) return async () => NONE
  if (typeof option !== 'function') {
    const fixed = checked(option, 'options.editableOwnerSettings')
    return async () => fixed
  }
  return async (request) => {
    try {
      return checked(await option(request), 'editableOwnerSettings(request)')
    } catch {
      return NONE
    }
  }
}

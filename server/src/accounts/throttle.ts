// Sign-in attempts per client address and username: at most `limit` a minute. Per instance and in
// memory — the account lock in the database (5 failures) is what holds across instances.
export function createThrottle(limit = 10, windowMs = 60_000) {
  const attempts = new Map<string, number[]>()
  return function allow(key: string, now = Date.now()): boolean {
    const recent = (attempts.get(key) ?? []).filter((t) => now - t < windowMs)
    const ok = recent.length < limit
    if (ok) recent.push(now)
    attempts.set(key, recent)
    if (attempts.size > 10_000) for (const [k, v] of attempts) if (v.every((t) => now - t >= windowMs)) attempts.delete(k)
    return ok
  }
}

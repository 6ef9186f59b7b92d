// Example module tool for `wgh chat`: the current date and time, optionally in an IANA time zone.
// The tool runner imports this file and calls the default export with the model's arguments.

export default function currentTime({ timezone } = {}) {
  const now = new Date();
  const zone = timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  let local;
  try {
    local = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone, dateStyle: 'short', timeStyle: 'long', hourCycle: 'h23',
    }).format(now);
  } catch {
    throw new Error(`unknown time zone '${timezone}' (use an IANA name such as Europe/Oslo)`);
  }
  return { iso: now.toISOString(), timezone: zone, local, weekday: now.toLocaleDateString('en-US', { weekday: 'long', timeZone: zone }) };
}

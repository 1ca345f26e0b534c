// Parses iCalendar files with Mozilla's ical.js and prints, as JSON, what a
// calendar client would see of each: its name and its events. Used by
// internal/web/ics_test.go (TestFeedICalJS). Throws on unreadable input.
import ICAL from 'ical.js';
import { readFileSync } from 'node:fs';

const out = {};
for (const file of process.argv.slice(2)) {
  const cal = new ICAL.Component(ICAL.parse(readFileSync(file, 'utf8')));
  for (const tz of cal.getAllSubcomponents('vtimezone')) {
    ICAL.TimezoneService.register(tz);
  }
  const events = cal.getAllSubcomponents('vevent').map((c) => {
    const ev = new ICAL.Event(c);
    return {
      uid: ev.uid,
      summary: ev.summary,
      description: ev.description,
      start: ev.startDate.toString(),
      end: ev.endDate.toString(),
      allDay: ev.startDate.isDate,
      tzid: ev.startDate.isDate ? '' : ev.startDate.timezone || ev.startDate.zone.tzid,
      startUnix: ev.startDate.toUnixTime(),
      sequence: ev.sequence,
      status: c.getFirstPropertyValue('status'),
      stamp: c.getFirstPropertyValue('dtstamp').toString(),
    };
  });
  out[file] = {
    name: cal.getFirstPropertyValue('x-wr-calname'),
    timezones: cal.getAllSubcomponents('vtimezone').length,
    events,
  };
}
process.stdout.write(JSON.stringify(out));

"""The planner's pure domain: no I/O, the clock always passed in.

- `contacts`: who may be surveyed, and the CSV import (streaming, broken rows reported).
- `plans`: a programme's survey plan (cadence, window, anchors, cap, link, reminder, expiry).
- `periods`, `windows`: the calendar — period keys, and a local sending window as UTC instants.
- `schedule`: when each contact's invitation is due; what is due on a day under the daily cap.
- `rules`: send or suppress, with a machine reason.
- `tokens`: signed, expiring, opaque tokens, and the survey link built from the plan's template.
- `invitations`: the invitation's lifecycle as a transition table, producing plain events.
- `templates`: the email in Spanish and English, with one-click unsubscribe headers.
"""

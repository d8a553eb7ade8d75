"""What Homeostat writes for people, and the hidden parts it reads back.

- `report.pr`: the PR title (also the commit message) and body;
- `report.comments`: every comment on an issue or a PR;
- `report.markers`: the hidden markers and the state block;
- `report.inert`: how untrusted text is made inert before any of it is published.
"""

"""Maintainers steer Homeostat from its PR (docs/STEERING.md): `/homeostat retry|stop|explain`
in a comment on Homeostat's PR or on an issue it fixes, and reviews that request changes, from
people with write access. `routing` picks the deliveries (webhook side), `steer` acts on one
(worker side), `commands` parses and words the answers."""

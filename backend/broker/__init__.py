"""The database server of a data directory and everything around it: the one
``redis-server`` process the owner starts and stops (:mod:`~backend.broker.server`), the
handoff file through which every other process finds and trusts it
(:mod:`~backend.broker.handoff`), the connection that follows ownership when the owner
leaves (:mod:`~backend.broker.ownership`), where Charlie's files live in the data
directory and the ``flock`` locks on them (:mod:`~backend.broker.paths`), private
permissions (:mod:`~backend.broker.private`), helpers for other processes
(:mod:`~backend.broker.processes`, :mod:`~backend.broker.exits`) and files written
atomically (:mod:`~backend.broker.atomic`). It depends on nothing else in ``backend``
but :mod:`backend.errors` and :mod:`backend.settings`.
"""

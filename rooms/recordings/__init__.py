"""Recordings: metadata, consent, files and retention of session recordings.

* :mod:`~rooms.recordings.model`: a :class:`Recording` (room, booking, who started it,
  state ``recording|stopped|recovered|failed|interrupted`` (``interrupted``: its node was lost
  while writing and the room recorded again elsewhere; ``recovered`` once that node comes
  back), composition progress, files, consent log)
  and the :class:`RecordingFilter` of listings.
* :mod:`~rooms.recordings.policy`: who may start and stop (the ``record`` grant; hosts in
  roundtables; the mentor, or either participant if the room allows, in coffee rooms).
* :mod:`~rooms.recordings.store`: the metadata store interface, with
  :mod:`~rooms.recordings.memory_store` and :mod:`~rooms.recordings.redis_store`; it also
  keeps the access :mod:`~rooms.recordings.audit` log.
* :mod:`~rooms.recordings.service`: :class:`RecordingService`, start/stop/consent/files.
* :mod:`~rooms.recordings.storage`: the files (``RecordingStorage``: a local folder or an
  S3-compatible object store), :mod:`~rooms.recordings.uploads` (finished files to the
  remote store, retried, the local copy kept until confirmed) and
  :mod:`~rooms.recordings.retention` (delete recordings older than N days).

Error codes (``RoomError.code``; the sentence is ``RoomError.message``):

============================  ===============================================================
``not_allowed_to_record``     no ``record`` grant, or the role may not record in this room;
                              nothing started or stopped
``already_recording``         the room has a recording running (one at a time per room; one
                              of a lost node is interrupted instead, see the service)
``not_recording``             stop or consent when the room/recording is not recording
``recording_not_found``       no recording with this id (never existed, or deleted)
``recording_exists``          a recording id was reused
``recording_file_not_found``  the recording has no file of this name
``invalid_recording_id``      a recording id or file name that is path-like (``/``, ``..``,
                              a leading dot) or outside ``[A-Za-z0-9_.-]``
``storage_unavailable``       the file storage (folder or S3) failed; try again
============================  ===============================================================
"""

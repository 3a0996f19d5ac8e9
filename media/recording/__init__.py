"""Recording without transcoding: each published track into its own WebM file.

See media/recording/recorder.py for the rules; the parts are the depacketiser
(depacketizer.py), the timeline (clock.py), the file writer (writer.py) and
finalisation and crash recovery (finalize.py).
"""

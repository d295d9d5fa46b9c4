"""Private media: every file under MEDIA_ROOT is served by one view that
asks the owning app who may read it (see :mod:`lms.media.registry`)."""

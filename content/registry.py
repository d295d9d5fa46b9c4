"""What the site's pages ask of the apps above content, filled in their
AppConfig.ready() (lms.kernel.registry).

- ``portal_panels``: parts of 我的培训 (the portal) other apps own. A panel
  is ``panel(user) -> dict`` of template context (courses: the learner's
  obligations and courses).
"""

from lms.kernel.registry import Registry

portal_panels = Registry("portal panels")

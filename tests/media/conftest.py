import io

import pytest
from PIL import Image


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SENDFILE_ROOT = str(tmp_path / "media")
    settings.ANXUN_MEDIA_SERVE = "django"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 20, 20)).save(out, "PNG")
    return out.getvalue()

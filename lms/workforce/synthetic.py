"""Valid-but-fictitious Chinese identifiers for demo, scale and test data.

Real people's numbers never belong in demo data; these pass the same
checksums (GB 11643 for 身份证号, GB 32100 for 统一社会信用代码)."""

import datetime as dt
import random

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Region codes that python-stdnum knows for every birth date from 1965 on.
ID_REGIONS = ("110101", "110102", "110105", "110106", "110108", "310104", "310105", "310106", "310107", "120101", "120102")


def id_number_check_digit(body17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS)) % 11]


def make_id_number(region: str | None = None, birth: dt.date | None = None, seq: int | None = None, rng=random) -> str:
    """A valid 18-digit 身份证号 (region, birth date, sequence, check digit)."""
    region = region or rng.choice(ID_REGIONS)
    birth = birth or dt.date(1970, 1, 1) + dt.timedelta(days=rng.randint(0, 12000))
    seq = seq if seq is not None else rng.randint(0, 999)
    body = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + id_number_check_digit(body)


def make_credit_code(n: int, region: str = "320505") -> str:
    """A valid 统一社会信用代码 whose organisation code is derived from ``n``."""
    org_body = f"{n:08d}"[-8:]
    c = 11 - sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(org_body, _ORG_WEIGHTS)) % 11
    org_check = "X" if c == 10 else "0" if c == 11 else str(c)
    body = "91" + region + org_body + org_check
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(body, _USCC_WEIGHTS))
    return body + _USCC_ALPHABET[(31 - total % 31) % 31]

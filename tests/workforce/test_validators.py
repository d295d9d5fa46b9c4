import pytest
from django.core.exceptions import ValidationError

from lms.workforce.models import Enterprise, Industry, RiskClass
from lms.workforce.synthetic import id_number_check_digit, make_credit_code, make_id_number
from lms.workforce.validators import clean_credit_code, clean_id_number, mask_id_number


# Month 13: a valid check digit around an impossible birth date.
BAD_DATE = "11010519491331002" + id_number_check_digit("11010519491331002")


def test_real_format_id_numbers_pass_and_x_is_upper_cased():
    assert clean_id_number("11010519491231002x") == "11010519491231002X"
    assert clean_id_number(" 110105194912310021 ".strip()[:17] + "X") == "11010519491231002X"


@pytest.mark.parametrize(
    "number,reason",
    [
        ("110105194912310021", "校验位"),
        ("11010519491231002", "18 位"),
        ("1101051949123100211", "18 位"),
        (BAD_DATE, "出生日期"),
        ("", "18 位"),
    ],
)
def test_bad_id_numbers_say_why_in_chinese(number, reason):
    with pytest.raises(ValidationError) as exc:
        clean_id_number(number)
    assert reason in exc.value.messages[0]


def test_generated_id_numbers_are_valid():
    numbers = [make_id_number() for _ in range(200)]
    # clean_id_number raises on a bad checksum, date or region; it returns the number normalised.
    assert [clean_id_number(number) for number in numbers] == [number.upper() for number in numbers]
    assert len(set(numbers)) > 150  # varied, not one valid number repeated


def test_credit_code_checksum():
    code = make_credit_code(42)
    assert clean_credit_code(code.lower()) == code
    broken = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        clean_credit_code(broken)
    assert "统一社会信用代码" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        clean_credit_code("91320505")


def test_id_numbers_are_masked_for_display():
    assert mask_id_number("11010519491231002X") == "110105********002X"


@pytest.mark.django_db
def test_high_risk_industry_cannot_be_downgraded():
    ent = Enterprise(
        code="x", name="x", credit_code=make_credit_code(7), industry=Industry.HAZARDOUS_CHEMICALS,
        risk_class=RiskClass.GENERAL, region_code="320505",
    )
    with pytest.raises(ValidationError) as exc:
        ent.full_clean()
    assert "risk_class" in exc.value.message_dict
    ent.risk_class = ""
    ent.full_clean()
    assert ent.risk_class == RiskClass.HIGH_RISK


@pytest.mark.django_db
def test_enterprise_with_bad_credit_code_is_refused():
    ent = Enterprise(code="y", name="y", credit_code="913205050000000000", industry=Industry.MANUFACTURING, region_code="320505")
    with pytest.raises(ValidationError) as exc:
        ent.full_clean()
    assert "credit_code" in exc.value.message_dict
